package pkgscan

import "github.com/assay-dev/assay/internal/core"

const cat = "package"

// Rules of package inspection. Ids are stable: never renumber.
var (
	RulePthExec = core.Rule{ID: "ASSAY-PKG-001", Title: "Executable line in a .pth file", Severity: core.SeverityMedium, Category: cat,
		Description: "Python's site module executes every line of a .pth file in site-packages that starts with 'import' at every interpreter start, before any user code. Plain path lines are harmless; executable lines are how the LiteLLM 1.82.8 compromise (litellm_init.pth) ran its credential stealer on every Python process.",
		Fix:         "Remove the package or the .pth file unless you know why it must run code at start-up (editable installs, namespace packages, setuptools' distutils shim); compare with the last trusted release (`assay diff`)."}
	RuleStartupHook = core.Rule{ID: "ASSAY-PKG-002", Title: "Interpreter start-up hook (sitecustomize/usercustomize)", Severity: core.SeverityMedium, Category: cat,
		Description: "sitecustomize.py and usercustomize.py are imported automatically at every interpreter start. A package that ships one runs code in every Python process of the environment.",
		Fix:         "Remove the file unless it is your own environment's configuration; packages from an index should never ship one."}
	RuleSetupCmdclass = core.Rule{ID: "ASSAY-PKG-003", Title: "setup.py overrides an install command", Severity: core.SeverityLow, Category: cat,
		Description: "A cmdclass override of install, develop or egg_info runs arbitrary code during `pip install` of an sdist (the deepseeek/deepseekai typosquats exfiltrated data this way). Building native code (build_ext) is normal; hooking install is rare.",
		Fix:         "Read the overriding class; prefer a wheel of the package, or install with --only-binary :all:."}
	RuleNPMLifecycle = core.Rule{ID: "ASSAY-PKG-004", Title: "npm install-time lifecycle script", Severity: core.SeverityMedium, Category: cat,
		Description: "preinstall, install and postinstall scripts run on `npm install` of the package with the user's privileges (nx 'telemetry.js', Shai-Hulud 'bundle.js' and 'setup_bun.js'). Native builds (node-gyp, prebuild-install) and git hooks (husky) are common and benign; anything else deserves a look.",
		Fix:         "Review the script; install with --ignore-scripts, or allow scripts per package (npm/pnpm 'onlyBuiltDependencies')."}
	RuleShimReplaced = core.Rule{ID: "ASSAY-PKG-005", Title: "Console-script shim does more than call its entry point", Severity: core.SeverityHigh, Category: cat,
		Description: "pip and uv generate tiny console-script shims in bin/ that import one function and call it. A shim with extra code runs it every time the command is used.",
		Fix:         "Reinstall the package that owns the script (pip install --force-reinstall) and find out what rewrote it."}
	RuleDecodeExec = core.Rule{ID: "ASSAY-PKG-010", Title: "Decoded or decompressed data is executed", Severity: core.SeverityCritical, Category: cat,
		Description: "Base64/hex/zlib/marshal/rot13/XOR decoding whose result is passed to exec/eval/compile/Function/vm is the signature of packed malware: the code that runs is hidden from review.",
		Fix:         "Treat the package as malicious unless the maintainers explain it; decode the payload offline (never run it) to see what it does."}
	RuleEntropy = core.Rule{ID: "ASSAY-PKG-011", Title: "Very long high-entropy string literal", Severity: core.SeverityLow, Category: cat,
		Description: "Long base64-like literals in source code usually carry embedded data, sometimes an encrypted or packed payload. Severity rises when the literal sits in start-up or install code.",
		Fix:         "Check what the literal decodes to (offline) and where it is used."}
	RuleMinified = core.Rule{ID: "ASSAY-PKG-012", Title: "Minified or obfuscated code", Severity: core.SeverityMedium, Category: cat,
		Description: "Python is not minified for distribution; very long code lines full of statements, or JavaScript with javascript-obfuscator's _0x identifiers, hide behaviour from review.",
		Fix:         "Compare with the project's source repository; do not install a release whose code cannot be read."}
	RuleSpawn = core.Rule{ID: "ASSAY-PKG-020", Title: "Process spawned at import, install or start-up time", Severity: core.SeverityMedium, Category: cat,
		Description: "Libraries spawn processes inside functions callers invoke; spawning one when the module is imported, during install, or at interpreter start-up is how the ultralytics 8.3.46 release started its miner. Shell one-liners and programs in /tmp are worse than build tools.",
		Fix:         "Read what is spawned and why it runs without being called; pin the last release that did not do it."}
	RuleDynamicCode = core.Rule{ID: "ASSAY-PKG-021", Title: "Dynamic code or pickle loaded at import time", Severity: core.SeverityMedium, Category: cat,
		Description: "exec/eval/compile of non-literal code, or unpickling a file, when a module is imported runs code that is not in the source (the aliyun-ai-labs-snippets-sdk packages unpickled a 'model' on import).",
		Fix:         "Find what is executed or unpickled; prefer safetensors for weights and literal code for configuration."}
	RuleDownloadExec = core.Rule{ID: "ASSAY-PKG-022", Title: "Download-and-execute or remote shell", Severity: core.SeverityCritical, Category: cat,
		Description: "Code that fetches something from the network and runs it (curl|sh, wget then execute, exec(urlopen(...).read())), or opens a reverse shell (/dev/tcp, nc -e), turns the package into a loader for code nobody reviewed.",
		Fix:         "Treat the package as malicious; remove it, rotate credentials reachable from the machine, and report it to the index."}
	RuleSecrets = core.Rule{ID: "ASSAY-PKG-030", Title: "Reads credential stores", Severity: core.SeverityHigh, Category: cat,
		Description: "Paths of cloud, SSH, Kubernetes, Docker, npm/PyPI, .env, browser or wallet credentials. A library reading its own service's configuration inside a function is normal (botocore reads ~/.aws); a package sweeping several stores, or reading them at import/install/start-up time, is stealing them (LiteLLM 1.82.7/8, torchtriton).",
		Fix:         "Remove the package and rotate every credential of the listed kinds that the machine or CI job could read."}
	RuleEnvDump = core.Rule{ID: "ASSAY-PKG-031", Title: "Serialises the whole environment", Severity: core.SeverityMedium, Category: cat,
		Description: "json.dumps(os.environ) / JSON.stringify(process.env) collects every secret passed through environment variables (CI tokens, API keys) in one value, ready to send.",
		Fix:         "Read where the serialised environment goes; a library should read the variables it needs by name."}
	RuleMetadata = core.Rule{ID: "ASSAY-PKG-032", Title: "Cloud instance metadata endpoint", Severity: core.SeverityHigh, Category: cat,
		Description: "169.254.169.254, metadata.google.internal and similar endpoints hand out the machine's cloud credentials. Cloud SDKs use them inside functions; anything else contacting them at import, install or start-up time is stealing credentials.",
		Fix:         "Remove the package; block metadata access from build jobs (IMDSv2 hop limit 1, network policy)."}
	RuleExfil = core.Rule{ID: "ASSAY-PKG-040", Title: "Hard-coded exfiltration channel", Severity: core.SeverityHigh, Category: cat,
		Description: "A hard-coded Discord/Slack/Telegram webhook, webhook.site, a paste site, a tunnel (ngrok, transfer.sh), an out-of-band interaction host, or DNS lookups built from data: channels malware uses to send stolen data (Shai-Hulud posted to webhook.site; torchtriton used DNS to *.h4ck.cfd).",
		Fix:         "Treat the package as malicious unless the channel is the documented purpose of the library."}
	RuleHardcodedIP = core.Rule{ID: "ASSAY-PKG-041", Title: "Network connection to a hard-coded IP address", Severity: core.SeverityMedium, Category: cat,
		Description: "Legitimate libraries contact hosts by name from configuration; a public IP address literal in code that opens connections is typical of reverse shells and droppers (the 2024 malicious models connected to 210.117.212.93:4242).",
		Fix:         "Find what the address is used for; block the release if it is contacted without being asked."}
	RulePersistence = core.Rule{ID: "ASSAY-PKG-050", Title: "Installs persistence (cron, systemd, shell rc, autostart)", Severity: core.SeverityHigh, Category: cat,
		Description: "Writing a cron entry, a systemd unit (LiteLLM's sysmon.service), shell start-up files (nx appended to ~/.bashrc and ~/.zshrc) or desktop autostart entries keeps malware running after the package is removed.",
		Fix:         "Remove the package, then inspect and clean the named location on every machine that installed it."}
	RuleMiner = core.Rule{ID: "ASSAY-PKG-051", Title: "Crypto-miner indicators", Severity: core.SeverityCritical, Category: cat,
		Description: "XMRig, stratum mining URLs and mining pools (pool.supportxmr.com in the ultralytics compromise) have no place in a library.",
		Fix:         "Treat the package as malicious; remove it and look for running miners."}
	RuleDisableSecurity = core.Rule{ID: "ASSAY-PKG-052", Title: "Disables security tools or erases traces", Severity: core.SeverityHigh, Category: cat,
		Description: "Commands that turn off SELinux/AppArmor/firewalls/EDR/Defender, clear shell history or audit logs are anti-forensics.",
		Fix:         "Treat the package as malicious; check the machine's security tooling is still running."}
	RuleRecordMismatch = core.Rule{ID: "ASSAY-PKG-060", Title: "File does not match its RECORD hash", Severity: core.SeverityHigh, Category: cat,
		Description: "A wheel's RECORD lists the sha256 of every file. A mismatch means the file was changed after the wheel was built (or after installation, for an installed tree).",
		Fix:         "Re-download the artifact from the index and compare; reinstall the package with --force-reinstall."}
	RuleRecordMissing = core.Rule{ID: "ASSAY-PKG-061", Title: "File not listed in RECORD", Severity: core.SeverityMedium, Category: cat,
		Description: "Every file a wheel installs must be listed in its RECORD; unlisted code (or a .pth no installed package claims) was added by something else.",
		Fix:         "Find which tool added the file; remove it if nothing you trust owns it."}
	RuleMetadataName = core.Rule{ID: "ASSAY-PKG-062", Title: "Wheel metadata disagrees with its file name", Severity: core.SeverityHigh, Category: cat,
		Description: "The name and version in METADATA and the .dist-info directory must match the wheel file name; a mismatch lets one package pose as another to scanners that trust the file name.",
		Fix:         "Do not install the artifact; fetch the release from the index and check its hashes."}
	RuleTyposquat = core.Rule{ID: "ASSAY-PKG-070", Title: "Name imitates a well-known AI/ML package", Severity: core.SeverityHigh, Category: cat,
		Description: "A package name one edit, a separator swap or a homoglyph away from a popular AI/ML package (deepseeek for deepseek, torchtriton for pytorch-triton) is a classic typosquat.",
		Fix:         "Check the name you meant to install; use the well-known package instead."}
	RuleArchiveTraversal = core.Rule{ID: "ASSAY-PKG-080", Title: "Archive member escapes the extraction directory", Severity: core.SeverityHigh, Category: cat,
		Description: "Absolute paths or '..' components in archive members overwrite files outside the target directory on naive extraction (cron files, shell rc files, site-packages).",
		Fix:         "Do not extract or install the artifact; report it to the index."}
	RuleArchiveLink = core.Rule{ID: "ASSAY-PKG-081", Title: "Archive contains a link or special member", Severity: core.SeverityMedium, Category: cat,
		Description: "Symlink and hard-link members can point extraction or later reads at files outside the package (e.g. ~/.ssh); packages have no need for them.",
		Fix:         "Extract with a tool that refuses links, or do not use the artifact."}
	RuleArchiveLimits = core.Rule{ID: "ASSAY-PKG-082", Title: "Archive exceeds safe limits (bomb, size, entries, nesting)", Severity: core.SeverityMedium, Category: cat,
		Description: "A compression ratio, size, member count or nesting depth far beyond real packages is a decompression bomb or an attempt to exhaust scanners; the rest of the archive was not read.",
		Fix:         "Do not install the artifact; if it is genuine, inspect it with raised limits in an isolated machine."}
	RuleArchiveDuplicate = core.Rule{ID: "ASSAY-PKG-083", Title: "Archive member appears twice", Severity: core.SeverityMedium, Category: cat,
		Description: "Two members with the same name let a scanner read one copy while the installer writes the other.",
		Fix:         "Do not install the artifact."}
	RuleNewCapability = core.Rule{ID: "ASSAY-PKG-900", Title: "New capability in release", Severity: core.SeverityHigh, Category: cat,
		Description: "The new release can do something the old one could not: run code at install or start-up, reach the network, spawn processes, read credential stores, hide code, or contact new hosts. This is what an update brings in before any advisory knows about it.",
		Fix:         "Read the evidence; if the change is not explained by the release notes, stay on the old release and report it."}
	RuleCapabilities = core.Rule{ID: "ASSAY-PKG-901", Title: "Package capability summary", Severity: core.SeverityInfo, Category: cat,
		Description: "What a package's code can do (network, process, secrets, obfuscation, install-time code, dynamic code, persistence), for review and for comparing releases.",
		Fix:         "No action needed; compare releases with `assay diff OLD NEW`."}
	RuleFileChanged = core.Rule{ID: "ASSAY-PKG-902", Title: "File added, removed or changed between releases", Severity: core.SeverityInfo, Category: cat,
		Description: "The file-level difference between two releases of a package.",
		Fix:         "No action needed; review changed code files the release notes do not explain."}
	// ruleCapEvidence is internal: per-file capability evidence the analyzer
	// folds into RuleCapabilities and removes from the report.
	ruleCapEvidence = core.Rule{ID: "ASSAY-PKG-999", Title: "capability evidence (internal)", Severity: core.SeverityInfo, Category: cat}
)

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule {
	return []core.Rule{
		RulePthExec, RuleStartupHook, RuleSetupCmdclass, RuleNPMLifecycle, RuleShimReplaced,
		RuleDecodeExec, RuleEntropy, RuleMinified,
		RuleSpawn, RuleDynamicCode, RuleDownloadExec,
		RuleSecrets, RuleEnvDump, RuleMetadata,
		RuleExfil, RuleHardcodedIP,
		RulePersistence, RuleMiner, RuleDisableSecurity,
		RuleRecordMismatch, RuleRecordMissing, RuleMetadataName,
		RuleTyposquat,
		RuleArchiveTraversal, RuleArchiveLink, RuleArchiveLimits, RuleArchiveDuplicate,
		RuleNewCapability, RuleCapabilities, RuleFileChanged,
	}
}
