-- The seed's second example, unchanged: an agent run on a State value returns a new State.
local agent = Agent.new({name = "analyzer", model = "gpt-4"})
local state = State.new({data = "..."})
local result = agent:run(state)
return result:to_map()
