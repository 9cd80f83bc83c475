"""The customer's data as the processor holds it: what one organisation can take with it.

May use people and models.
"""
