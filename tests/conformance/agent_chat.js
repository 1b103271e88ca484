const a = await Agent.create({name: "talker"});
display(await a.chat("first"));
display(await a.chat("second"));
display(await json.encode(await a.history()));
await a.reset();
display(await json.encode(await a.history()));
display((await a.info()).usage.calls);
