import OpenAI from "openai";
import { openai } from "@ai-sdk/openai";
import { generateText } from "ai";
const MODEL: string = "gpt-4.1";
const client = new OpenAI({ baseURL: "https://proxy.example.com/v1" });
export async function ask(q: string): Promise<string> {
  await client.chat.completions.create({ model: MODEL, messages: [] });
  const { text } = await generateText({ model: openai("gpt-4o-mini"), prompt: q });
  return text;
}
