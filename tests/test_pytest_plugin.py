"""The pytest plugin, as a supplier's own test suite would use it."""

from __future__ import annotations

pytest_plugins = ["pytester"]


def test_supplier_suite_can_verify_and_see_failures(pytester, root, monkeypatch):
    monkeypatch.setenv("EM_HARNESS_ROOT", str(root))
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    monkeypatch.syspath_prepend(str(root))
    pytester.makepyfile(
        test_supplier="""
        def test_reference_passes(em_verify, em_registry):
            run = em_verify("monitoring-data-service", supplier_app="providers.monitoring_data:app")
            assert run.passed, em_verify.explain(run)
            assert em_registry.get("electronic-monitoring.device-activated", 1) is not None

        def test_faulty_fails(em_verify):
            run = em_verify("monitoring-data-service", supplier_app="providers.faulty.int_as_string:app")
            assert not run.passed
            assert "eventStatusFlags" in em_verify.explain(run)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
