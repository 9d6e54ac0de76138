"""factory_boy factories for the models.

Factories *commit*: inside the test fixture that only releases a SAVEPOINT of the test's
outer transaction (rolled back at the end), and it keeps factory data safe from the rollback
that a 4xx response performs at the request boundary, as separate requests would in
production."""

from __future__ import annotations

from datetime import UTC, date, datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.accounts.models import Membership, Organisation, User
from app.accounts.passwords import hash_password
from app.attribution.models import (
    CalDecision,
    CalSession,
    Designation,
    Proposal,
    ProposalCandidate,
)
from app.audit.models import AuditEvent
from app.demandes.models import Demande, HouseholdMember, WishedCommune
from app.extensions import db
from app.flux.models import Convention, FluxEvent, Offre
from app.patrimoine.models import Logement, Programme
from app.territoire.models import Commune

DEFAULT_PASSWORD = "correct horse battery staple"
_HASH = hash_password(DEFAULT_PASSWORD)  # hashing once keeps the suite fast


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "bailleur"
    departement = "45"

    class Params:
        reservataire = factory.Trait(kind="reservataire", reservataire_kind="action_logement")
        epci = factory.Trait(kind="epci")
        operateur = factory.Trait(kind="operateur")


class CommuneFactory(Base):
    class Meta:
        model = Commune

    # 45500–45999, wrapping: the sequence outlives a test (rows roll back), a code must stay 5
    # characters, and the range avoids the real codes the tests name (45234, 45284…).
    insee = factory.Sequence(lambda n: f"45{n % 500 + 500:03d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    departement = "45"
    zone = "autres_regions"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Utilisateur {n}")
    role = "demandeur"
    password_hash = _HASH

    @factory.post_generation
    def organisation(self, create, extracted, **kwargs):
        if extracted is not None:
            self.membership = Membership(organisation=extracted)
            db.session.flush()


class LogementFactory(Base):
    class Meta:
        model = Logement

    ref = factory.Sequence(lambda n: f"LGT-{n:05d}")
    bailleur = factory.SubFactory(OrganisationFactory)
    commune = factory.SubFactory(CommuneFactory)
    zone = "autres_regions"
    typology = "T3"
    rooms = 3
    surface = 64.5
    financing = "PLUS"
    rent = 412.30
    charges = 95.0


class DemandeFactory(Base):
    class Meta:
        model = Demande

    nur = factory.Sequence(lambda n: f"045-2025-{n:06d}")
    epci = factory.SubFactory(OrganisationFactory, epci=True)
    status = "active"
    filed_on = date(2025, 1, 15)
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    rfr_n2 = 14200
    monthly_resources = 1350
    current_housing_kind = "residence_sociale"

    @factory.post_generation
    def household(self, create, extracted, **kwargs):
        self.members.append(HouseholdMember(position=0, role="demandeur", birth_date=date(1990, 4, 2)))
        db.session.flush()

    @factory.post_generation
    def wishes(self, create, extracted, **kwargs):
        communes = extracted or []
        for rank, commune in enumerate(communes, start=1):
            self.wished_communes.append(WishedCommune(rank=rank, commune_insee=commune.insee))
        db.session.flush()


class ProgrammeFactory(Base):
    class Meta:
        model = Programme

    bailleur = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Résidence {n}")
    commune = factory.SubFactory(CommuneFactory)
    address = factory.Sequence(lambda n: f"{n} rue des Tilleuls")


class ConventionFactory(Base):
    """A convention de réservation between a bailleur and a réservataire."""

    class Meta:
        model = Convention

    ref = factory.Sequence(lambda n: f"CONV-{n:05d}")
    bailleur = factory.SubFactory(OrganisationFactory)
    reservataire = factory.SubFactory(OrganisationFactory, reservataire=True)
    departement = "45"
    year = 2026
    share_percent = 25.0
    origin = "financement"


class OffreFactory(Base):
    """A vacancy of a logement; pass reservataire= with flux_status="oriente" or "designe"."""

    class Meta:
        model = Offre

    ref = factory.Sequence(lambda n: f"OFF-{n:05d}")
    logement = factory.SubFactory(LogementFactory)
    flux_status = "a_orienter"
    reservataire = None
    declared_on = date(2026, 3, 2)
    available_on = date(2026, 4, 1)
    designation_deadline = None


class DesignationFactory(Base):
    """A réservataire's designation of a demande on an offer oriented to it."""

    class Meta:
        model = Designation

    reservataire = factory.SubFactory(OrganisationFactory, reservataire=True)
    offre = factory.SubFactory(
        OffreFactory,
        flux_status="designe",
        reservataire=factory.SelfAttribute("..reservataire"),
        designation_deadline=date(2026, 4, 15),
    )
    demande = factory.SubFactory(DemandeFactory)
    rank = 1
    designated_at = factory.LazyFunction(lambda: datetime(2026, 3, 20, 9, 30, tzinfo=UTC))


class CalSessionFactory(Base):
    class Meta:
        model = CalSession

    bailleur = factory.SubFactory(OrganisationFactory)
    held_on = date(2026, 12, 3)
    location = "Siège, salle du conseil"
    status = "planifiee"


class CalDecisionFactory(Base):
    class Meta:
        model = CalDecision
        exclude = ("offre", "demande")  # the model holds ids only

    session = factory.SubFactory(CalSessionFactory)
    offre = factory.SubFactory(OffreFactory, flux_status="en_cal")
    demande = factory.SubFactory(DemandeFactory)
    decision = "attribution"
    offre_id = factory.SelfAttribute("offre.id")
    demande_id = factory.SelfAttribute("demande.id")


class AuditEventFactory(Base):
    class Meta:
        model = AuditEvent

    action = "auth.login"
    entity_type = "user"
    entity_id = factory.Sequence(str)


class ProposalFactory(Base):
    """A list of candidates proposed for an offer (add ProposalCandidateFactory rows)."""

    class Meta:
        model = Proposal

    offre_id = factory.LazyFunction(lambda: OffreFactory(flux_status="en_cal").id)
    source = "manuel"


class ProposalCandidateFactory(Base):
    class Meta:
        model = ProposalCandidate

    proposal_id = factory.LazyFunction(lambda: ProposalFactory().id)
    demande_id = factory.LazyFunction(lambda: DemandeFactory().id)
    rank = 1


class FluxEventFactory(Base):
    """An entry of the flux ledger; one that counts for a réservataire names its convention."""

    class Meta:
        model = FluxEvent

    offre_id = factory.LazyFunction(lambda: OffreFactory().id)
    kind = "mise_a_disposition"
    occurred_on = date(2026, 3, 2)
