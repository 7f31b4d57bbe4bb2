"""The security suite: probes against a real pilotkg serve process (see SECURITY.md)."""
