"""The e-mails of the authentication pages (plain French text, sent with app.mail)."""

from __future__ import annotations

from flask import current_app, url_for

from app.mail import MailError, send_mail

SUBJECT_REGISTRATION = "Votre compte demandeur sur Cotaflux"


def _login_url() -> str:
    return url_for("auth.login", _external=True)


def registration_welcome(email: str, full_name: str) -> None:
    """To a new requester: the account exists, here is how to sign in."""
    _send(email, SUBJECT_REGISTRATION, (
        f"Bonjour {full_name},\n\n"
        "Votre compte demandeur est créé sur Cotaflux avec cette adresse électronique.\n"
        f"Connectez-vous avec le mot de passe que vous avez choisi : {_login_url()}\n"
        "Vous pourrez ensuite déposer votre demande de logement social.\n\n"
        "Si vous n'êtes pas à l'origine de cette inscription, ne vous connectez pas et "
        "signalez-le à l'administrateur de la plateforme.\n"
    ))


def registration_on_existing_account(email: str) -> None:
    """To the owner of an account: someone tried to register again with their address."""
    _send(email, SUBJECT_REGISTRATION, (
        "Bonjour,\n\n"
        "Quelqu'un vient de demander la création d'un compte sur Cotaflux avec cette adresse "
        "électronique. Un compte existe déjà avec cette adresse : aucun nouveau compte n'a été "
        "créé et votre compte n'a pas été modifié.\n\n"
        f"Si c'était vous, connectez-vous avec votre mot de passe habituel : {_login_url()}\n"
        "Si ce n'était pas vous, vous n'avez rien à faire.\n"
    ))


def _send(to: str, subject: str, body: str) -> None:
    # The page answers the same whether the address was new or not: a mail server failure
    # must not change that answer (nor lose the account just created). It is logged.
    try:
        send_mail(to, subject, body)
    except MailError:
        current_app.logger.exception("registration mail not sent")
