"""What both node variants share unchanged: wire protocol, primitives, chain stand-in, addresses,
clock, randomness, logging. Never imports legacy, split, migration or contracts."""
