const { spawn } = require('child_process');
function open(url) {
  const cmd = process.platform === 'darwin' ? 'open' : 'xdg-open';
  return spawn(cmd, [url], { detached: true, stdio: 'ignore' });
}
module.exports = open;
