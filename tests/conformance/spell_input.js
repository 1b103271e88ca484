const name = await Spell.input("Your name? ");
const colour = await Spell.input("Favourite colour? ");
display("");
display("Hello " + name + ", who likes " + colour);
let e; try { await Spell.input("one more? "); } catch (err) { e = err; }
display("");
display(e.message);
