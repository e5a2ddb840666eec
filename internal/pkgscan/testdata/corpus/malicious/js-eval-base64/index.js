const p = 'Y29uc29sZS5sb2coMSk=';
eval(Buffer.from(p, 'base64').toString());
module.exports = {};
