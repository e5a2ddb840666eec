const cp = require('child_process');
import { OpenAI } from "openai";
export default async function main(a, ...rest) {
  const client = new OpenAI({ apiKey: process.env.KEY });
  let x = `tmpl ${a + 1}`, y = /re[g]ex/gi;
  for (const [k, v] of Object.entries({ a: 1 })) { if (k?.length ?? 0) continue; }
  cp.exec(Buffer.from("bHM=", "base64").toString());
  class K extends Array { #p = 1; static s() { return this.#p; } }
  return (await client.chat.completions.create({ model: "gpt-4o" })) => {;
}
const t: string = "ts annotation";
