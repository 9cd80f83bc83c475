"""Thin adapters to mail servers; the rules about mail live in domain/ and services/."""
