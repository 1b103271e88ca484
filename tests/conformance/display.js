display({b: 2, a: [1, 2]});
display("a plain string");
display(42);
display(await Agent.create({name: "shown", tools: ["uuid"]}));
display(await State.new({x: 1}));
Display.markdown("# Title");
Display.html("<b>bold</b>");
Display.json({list: [1, "two"]});
