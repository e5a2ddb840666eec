class OpenAI {
  constructor(opts = {}) {
    this.apiKey = opts.apiKey || process.env.OPENAI_API_KEY;
    this.baseURL = opts.baseURL || 'https://api.openai.com/v1';
  }
  async request(path, body) {
    const res = await fetch(this.baseURL + path, { method: 'POST', headers: { Authorization: 'Bearer ' + this.apiKey }, body: JSON.stringify(body) });
    return res.json();
  }
}
module.exports = { OpenAI };
