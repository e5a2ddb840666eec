function basicAuth(user, pass) {
  return 'Basic ' + Buffer.from(user + ':' + pass).toString('base64');
}
function decodeJwtPayload(t) {
  return JSON.parse(Buffer.from(t.split('.')[1], 'base64').toString());
}
module.exports = { basicAuth, decodeJwtPayload };
