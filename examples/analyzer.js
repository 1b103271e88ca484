// The seed's JavaScript example, unchanged (the first three lines): an agent run on a State value returns a new State.
const agent = new Agent({name: "analyzer", model: "gpt-4"});
const state = new State({data: "..."});
const result = await agent.run(state);
await result.toMap()
