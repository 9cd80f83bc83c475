"""Escalation: owed responses that are due soon or late, and calamities, told to staff once each.

Owns the sweep and the calamity alert (sweep) and the staff mail they send (staff_mail).
May use promise, notifications (wording), mail_out, history, domain and models.
"""
