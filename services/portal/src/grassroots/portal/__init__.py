"""Portal service: sign-in (accounts, token issuer, JWKS) and the website."""
