// The seed's first example in JavaScript: an agent with a web tool writes its findings to a file.
// Offline (LLMSPELL_OFFLINE=1) the mock model echoes the request. Every API call returns a Promise.
const researcher = await agent.create({name: "web_researcher", tools: ["web_fetch"], system_prompt: "You are a research assistant..."});
const result = await researcher.run("Research quantum computing");
await fs.write("research.md", result);
result
