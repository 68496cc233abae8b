"""Privacy: consent records, export, erasure, retention, suppression and the audit log."""
