"""Field encryption (AES-256-GCM with key ids) and keyed blind indexes for PII."""
