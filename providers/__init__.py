"""Reference supplier implementations (FastStream apps) and deliberately faulty variants of them.

The reference suppliers show what a conforming Field Monitoring Service and Monitoring Data Service
publish in answer to the stimuli of contracts/states/; the faulty ones (providers/faulty/) each carry one
realistic bug, so `em-harness verify` can be shown to catch it.
"""
