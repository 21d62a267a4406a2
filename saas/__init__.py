"""HMS-sertifisering: a multi-tenant SaaS for small Norwegian HMS certification providers."""
