const shout = await Tool.register({name: "shout", description: "Upper-case a text",
  params: {type: "object", properties: {text: {type: "string"}, times: {type: "integer"}}, required: ["text"]},
  fn: (args) => args.text.toUpperCase() + "!".repeat(args.times ?? 1)});
display(shout.name);
display(await Tool.call("shout", {text: "hi", times: 3}));
display(await shout.call({text: "handle"}));
try { await Tool.call("shout", {times: 2}); } catch (e) { display(e.message); }
try { await Tool.call("shout", {text: 5}); } catch (e) { display(e.message); }
try { await Tool.call("nope", {}); } catch (e) { display(e.message); }
display(await json.encode(await Tool.info("shout")));
try { await Tool.register({name: "bad", fn: 5, wat: 1}); } catch (e) { display(e.message); }
