"""Training certificates: issuing, revoking, printing and public verification.

numbering (a certificate's number and verification code), selectors (reads), services (every
write, audited), pdf (the certificate as printed), forms, views and urls (pages under
/trainings/certificates/ and the public /c/<code>/), api (the certificates router), demo (the
demonstration certificates of `pilar demo`), tasks (the background job that prints an event's
certificates into one PDF).
"""
