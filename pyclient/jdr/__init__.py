"""JDR beneficial interests: the trust's types and arithmetic (`model`), record dates
(`schedule`), the exchange's monitoring rules (`monitors`) and the ETN-type issuer criteria
(`etn`). Pure: no chain; the contracts' clients are in `pyclient.contracts.jdr`, the participants
(`TrustBank`, `Settlor`, holders) in `pyclient.roles`."""
