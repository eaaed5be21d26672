"""Commodity delivery orders and warehouse receipts: the goods tokens' types (`model`) and the
delivery day's arithmetic (`delivery`: allocation, invoices, the DvP model). Pure: no chain; the
contracts' clients are in `pyclient.contracts.goods` and `pyclient.contracts.delivery`, the
participants (`Warehouse`, members delivering and paying, the CCP's delivery desk) in
`pyclient.roles`."""
