"""One search box across companies, certificates, actions, invoices and people (issue 13).  A top floor: it
reads the features below and nothing imports it."""
