"""Pages of the transfer workflow, a module per part of it. Each view parses a form, calls
one service, and turns the service's refusal into form errors or a message; which actions a
page offers comes from the transition table; nothing here decides a rule."""
