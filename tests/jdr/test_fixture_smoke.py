"""The `jdr` fixture: a listed series, backed and empty."""

from support import JdrSeries


def test_the_fixture_series_is_listed_and_empty(jdr: JdrSeries) -> None:
    assert jdr.trust.invariant() == (0, 0, True)
    assert jdr.world.deployment.participant(jdr.trust.address).name == "spy-jdr-trust"
