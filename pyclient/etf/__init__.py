"""Clearing of ETF creation and redemption: the ETF's terms, eligibility, statement legs, the
settlement day's timetable and fails (`model`), and the article-50 netting of statements with the
day's exchange trades (`netting`). Pure: no chain; the on-chain contracts must agree with it."""
