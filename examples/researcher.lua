-- The seed's first example, unchanged: an agent with a web tool writes its findings to a file.
-- Offline (LLMSPELL_OFFLINE=1) the mock model echoes the request.
local researcher = agent.create({name = "web_researcher", tools = {"web_fetch"}, system_prompt = "You are a research assistant..."})
local result = researcher.run("Research quantum computing")
fs.write("research.md", result)
return result
