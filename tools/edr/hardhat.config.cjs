// Hardhat's EDR node as Kabuto's second node implementation (make test-edr): the same chain id,
// development keys, balances and block gas limit as the embedded Anvil, so the suite runs
// unchanged on it; see tests/nodes.py.
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "prague",
      blockGasLimit: 30_000_000,
      allowBlocksWithSameTimestamp: true,
      accounts: {
        mnemonic: "test test test test test test test test test test test junk",
        count: 20,
        accountsBalance: "1000000000000000000000000",
      },
      mining: { auto: true, interval: 0 },
    },
  },
};
