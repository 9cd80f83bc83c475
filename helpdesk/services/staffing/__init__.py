"""The desk's staff as managers keep it: invitations by mail, roles, deactivation.

Owns who may grant what (accounts), the invitation and its acceptance (invitations), and their
audit trail. Builds on people (the directory, TOTP) and mail_out (the invitation's mail).
"""
