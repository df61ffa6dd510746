"""Every text of the contract package, in French and English, keyed by a stable code.

Programs read the codes (JSON output, tests); people read the rendered text. Each catalog covers
both languages for every code, and a test proves it.
"""

from __future__ import annotations

from enum import StrEnum

from scopeaudit.i18n import Catalog, render
from scopeaudit.taxonomy import Category, Language

FR, EN = Language.FR, Language.EN


class FileProblem(StrEnum):
    """Why a file could not be read as a YAML mapping at all."""

    MISSING = "file.missing"
    DIRECTORY = "file.directory"
    UNREADABLE = "file.unreadable"
    OS_ERROR = "file.os_error"
    TOO_LARGE = "file.too_large"
    EMPTY = "file.empty"
    BINARY = "file.binary"
    NOT_UTF8 = "file.not_utf8"
    TOO_DEEP = "file.too_deep"
    ALIAS_BOMB = "file.alias_bomb"
    YAML = "file.yaml"
    NOT_MAPPING = "file.not_mapping"
    COMPLEX_KEY = "file.complex_key"
    DUPLICATE_KEY = "file.duplicate_key"


ERRORS: Catalog = {
    FileProblem.MISSING: {
        FR: "fichier introuvable ; indiquez le chemin d'un contrat YAML",
        EN: "no such file; give the path of a contract YAML file",
    },
    FileProblem.DIRECTORY: {
        FR: "c'est un dossier ; attendu : un fichier de contrat YAML",
        EN: "this is a directory; expected a contract YAML file",
    },
    FileProblem.UNREADABLE: {
        FR: "lecture refusée (permissions) ; rendez le fichier lisible par cet utilisateur",
        EN: "permission denied; make the file readable by this user",
    },
    FileProblem.OS_ERROR: {
        FR: "lecture impossible : {detail}",
        EN: "cannot read the file: {detail}",
    },
    FileProblem.TOO_LARGE: {
        FR: "fichier trop gros (plus de {limit_mb} Mo) ; un contrat fait quelques Ko",
        EN: "file too large (over {limit_mb} MB); a contract is a few KB",
    },
    FileProblem.EMPTY: {
        FR: "fichier vide ; attendu : un contrat (format: 1), voir « scopeaudit contract init »",
        EN: "empty file; expected a contract (format: 1), see 'scopeaudit contract init'",
    },
    FileProblem.BINARY: {
        FR: "fichier binaire (octet NUL) ; attendu : un texte YAML en UTF-8",
        EN: "binary file (NUL byte); expected YAML text in UTF-8",
    },
    FileProblem.NOT_UTF8: {
        FR: "octet invalide en UTF-8 ; enregistrez le fichier en UTF-8",
        EN: "invalid UTF-8 byte; save the file as UTF-8",
    },
    FileProblem.TOO_DEEP: {
        FR: "imbrication trop profonde (plus de {limit} niveaux) ; un contrat en a au plus 6",
        EN: "nesting too deep (over {limit} levels); a contract has at most 6",
    },
    FileProblem.ALIAS_BOMB: {
        FR: "les alias YAML déploient plus de {limit} valeurs (bombe d'alias ?) ; "
        "écrivez les valeurs sans alias",
        EN: "YAML aliases expand to more than {limit} values (alias bomb?); "
        "write the values without aliases",
    },
    FileProblem.YAML: {
        FR: "YAML invalide : {detail}",
        EN: "invalid YAML: {detail}",
    },
    FileProblem.NOT_MAPPING: {
        FR: "le document n'est pas une table clé: valeur ; attendu : format: 1, contract:, "
        "scope:, equipment:",
        EN: "the document is not a key: value mapping; expected format: 1, contract:, "
        "scope:, equipment:",
    },
    FileProblem.COMPLEX_KEY: {
        FR: "clé composée non admise ; attendu : un nom de clé simple",
        EN: "complex key not allowed; expected a plain key name",
    },
    FileProblem.DUPLICATE_KEY: {
        FR: "clé « {key} » en double (déjà à la ligne {first}) ; gardez-en une seule",
        EN: "duplicate key '{key}' (already on line {first}); keep only one",
    },
    # Validation of values
    "missing": {
        FR: "clé obligatoire absente ; ajoutez-la",
        EN: "required key is missing; add it",
    },
    "unknown_key": {
        FR: "clé inconnue « {key} »{hint}",
        EN: "unknown key '{key}'{hint}",
    },
    "unknown_key.suggest": {
        FR: " ; vouliez-vous dire « {guess} » ?",
        EN: "; did you mean '{guess}'?",
    },
    "unknown_key.allowed": {FR: " ; clés admises : {allowed}", EN: "; allowed keys: {allowed}"},
    "string_type": {FR: "attendu : un texte, reçu {got}", EN: "expected text, got {got}"},
    "string_too_short": {FR: "ne doit pas être vide", EN: "must not be empty"},
    "list_type": {FR: "attendu : une liste, reçu {got}", EN: "expected a list, got {got}"},
    "too_short": {
        FR: "liste vide ; attendu : au moins {min} élément(s)",
        EN: "empty list; expected at least {min} item(s)",
    },
    "mapping_type": {
        FR: "attendu : une table clé: valeur, reçu {got}",
        EN: "expected a key: value mapping, got {got}",
    },
    "int": {FR: "attendu : un nombre entier, reçu {got}", EN: "expected a whole number, got {got}"},
    "decimal": {
        FR: "attendu : un nombre (ex. 32.00), reçu {got}",
        EN: "expected a number (e.g. 32.00), got {got}",
    },
    "decimal_places": {
        FR: "au plus {places} décimales, reçu {got}",
        EN: "at most {places} decimal places, got {got}",
    },
    "date": {
        FR: "attendu : une date ISO AAAA-MM-JJ, reçu {got}",
        EN: "expected an ISO date YYYY-MM-DD, got {got}",
    },
    "bool": {FR: "attendu : true ou false, reçu {got}", EN: "expected true or false, got {got}"},
    "enum": {FR: "attendu : {expected} ; reçu {got}", EN: "expected {expected}; got {got}"},
    "ge": {FR: "doit être ≥ {limit}, reçu {got}", EN: "must be >= {limit}, got {got}"},
    "gt": {FR: "doit être > {limit}, reçu {got}", EN: "must be > {limit}, got {got}"},
    "le": {FR: "doit être ≤ {limit}, reçu {got}", EN: "must be <= {limit}, got {got}"},
    "other": {FR: "valeur invalide : {detail}", EN: "invalid value: {detail}"},
    "format_version": {
        FR: "version de format non prise en charge {got} ; attendu : 1",
        EN: "unsupported format version {got}; expected 1",
    },
    "mac": {
        FR: "adresse MAC invalide {got} ; attendu : six paires hexadécimales (00:11:22:33:44:55)",
        EN: "not a MAC address {got}; expected six hex pairs (00:11:22:33:44:55)",
    },
    "mac_prefix": {
        FR: "préfixe MAC invalide {got} ; attendu : 1 à 5 paires hexadécimales (00:0c:29)",
        EN: "not a MAC prefix {got}; expected 1 to 5 hex pairs (00:0c:29)",
    },
    "ipv4": {
        FR: "adresse IPv4 invalide {got} ; attendu : quatre nombres 0-255 (10.20.0.1)",
        EN: "not an IPv4 address {got}; expected four numbers 0-255 (10.20.0.1)",
    },
    "cidr": {
        FR: "réseau IPv4 invalide {got} ; attendu : adresse/longueur (10.20.0.0/24)",
        EN: "not an IPv4 network {got}; expected address/length (10.20.0.0/24)",
    },
    "cidr_host_bits": {
        FR: "bits d'hôte non nuls dans {got} ; vouliez-vous dire {network} ?",
        EN: "host bits set in {got}; did you mean {network}?",
    },
    "duration": {
        FR: "durée invalide {got} ; attendu : un nombre suivi de m, h, d ou w (4h, 2d, 30m)",
        EN: "not a duration {got}; expected a number then m, h, d or w (4h, 2d, 30m)",
    },
    "category": {
        FR: "catégorie inconnue {got} ; choisissez : {expected}",
        EN: "unknown category {got}; choose one of {expected}",
    },
    "category_unknown": {
        FR: "« unknown » n'est pas une catégorie déclarable ; choisissez : {expected}",
        EN: "'unknown' cannot be declared; choose one of {expected}",
    },
    "currency": {
        FR: "devise invalide {got} ; attendu : un code ISO 4217 en 3 lettres (EUR)",
        EN: "not a currency {got}; expected a 3-letter ISO 4217 code (EUR)",
    },
    "policy_match_empty": {
        FR: "aucun critère ; attendu : au moins un de {expected}",
        EN: "no criterion; expected at least one of {expected}",
    },
    "policy_limit": {
        FR: "« limit » ne vaut que pour treatment: covered",
        EN: "'limit' only applies to treatment: covered",
    },
    "presence_key": {
        FR: "clé de présence invalide {got} ; attendu : default ou une catégorie",
        EN: "invalid presence key {got}; expected default or a category",
    },
    "blank_text": {FR: "ne doit pas être vide", EN: "must not be empty"},
    "duplicate_id": {
        FR: "identifiant « {value} » déjà utilisé ({first}) ; chaque id doit être unique",
        EN: "id '{value}' already used ({first}); each id must be unique",
    },
    "duplicate_mac": {
        FR: "MAC {value} déjà déclarée ({first}) ; un équipement par MAC",
        EN: "MAC {value} already declared ({first}); one item per MAC",
    },
    "duplicate_serial": {
        FR: "numéro de série « {value} » déjà déclaré ({first})",
        EN: "serial '{value}' already declared ({first})",
    },
    "got.mapping": {FR: "une table", EN: "a mapping"},
    "got.list": {FR: "une liste", EN: "a list"},
    "got.nothing": {FR: "une valeur vide", EN: "an empty value"},
    "or": {FR: "ou", EN: "or"},
}


# Names of the checklist's clauses (DESIGN §4): the contract's own vocabulary.
CLAUSES: Catalog = {
    "parties.client": {FR: "Parties : client", EN: "Parties: client"},
    "parties.provider": {FR: "Parties : prestataire", EN: "Parties: provider"},
    "signed_on": {FR: "Date de signature", EN: "Signature date"},
    "effective_on": {FR: "Date d'entrée en vigueur", EN: "Effective date"},
    "term.duration_months": {FR: "Durée du contrat", EN: "Contract duration"},
    "term.renewal": {FR: "Renouvellement", EN: "Renewal"},
    "term.notice_months": {FR: "Préavis", EN: "Notice period"},
    "term.termination": {FR: "Conditions de résiliation", EN: "Termination terms"},
    "billing.currency": {FR: "Devise", EN: "Currency"},
    "billing.period": {FR: "Périodicité de facturation", EN: "Billing period"},
    "billing.payment_terms_days": {FR: "Délai de paiement", EN: "Payment terms"},
    "billing.price_revision": {FR: "Révision des prix", EN: "Price revision"},
    "billing.base_fee": {FR: "Redevance forfaitaire", EN: "Base fee"},
    "billing.unit_prices": {FR: "Prix unitaires par catégorie", EN: "Unit prices per category"},
    "responsibilities": {FR: "Responsabilités", EN: "Responsibilities"},
    "missions": {FR: "Missions du prestataire", EN: "Provider's missions"},
    "service_levels.hours": {FR: "Niveaux de service : horaires", EN: "Service levels: hours"},
    "service_levels.intervention_delay.critical": {
        FR: "Délai d'intervention : criticité critique",
        EN: "Intervention delay: critical",
    },
    "service_levels.intervention_delay.high": {
        FR: "Délai d'intervention : criticité haute",
        EN: "Intervention delay: high",
    },
    "service_levels.intervention_delay.normal": {
        FR: "Délai d'intervention : criticité normale",
        EN: "Intervention delay: normal",
    },
    "service_levels.contacts": {FR: "Contacts d'escalade", EN: "Escalation contacts"},
    "hotline.availability": {FR: "Hotline : disponibilité", EN: "Hotline: availability"},
    "hotline.scope": {FR: "Hotline : périmètre", EN: "Hotline: scope"},
    "hotline.pricing": {FR: "Hotline : tarification", EN: "Hotline: pricing"},
    "confidentiality": {FR: "Confidentialité", EN: "Confidentiality"},
    "data_security": {FR: "Sécurité des données", EN: "Data security"},
    "reversibility": {FR: "Réversibilité", EN: "Reversibility"},
    "client_obligations": {FR: "Obligations du client", EN: "Client obligations"},
}

WARNINGS: Catalog = {
    "ip_outside_networks": {
        FR: "{equipment} : l'IP {ip} n'est dans aucun réseau du périmètre ; elle ne sera pas sondée",
        EN: "{equipment}: IP {ip} is outside every network of the scope; it will not be probed",
    },
    "ip_in_excluded": {
        FR: "{equipment} : l'IP {ip} est dans une plage exclue ({cidr}) ; vérifiable seulement "
        "en écoute passive, sinon « non vérifiable »",
        EN: "{equipment}: IP {ip} lies in an excluded range ({cidr}); it can only be verified "
        "passively, else it is not_verifiable",
    },
    "site_undeclared": {
        FR: "{where} : le site « {site} » n'est pas déclaré dans scope.sites",
        EN: "{where}: site '{site}' is not declared in scope.sites",
    },
    "category_unpriced": {
        FR: "catégorie « {category} » déclarée ({count}) sans prix unitaire ; exclue de la redevance",
        EN: "category '{category}' is declared ({count}) without a unit price; left out of the fee",
    },
    "no_identifier": {
        FR: "{equipment} : aucun identifiant (serial, mac, hostname, ip) ; il ne pourra pas être "
        "reconnu",
        EN: "{equipment}: no identifier (serial, mac, hostname, ip); it cannot be recognised",
    },
}

LABELS: Catalog = {
    "title": {FR: "Contrat {reference}", EN: "Contract {reference}"},
    "file": {FR: "Fichier", EN: "File"},
    "parties": {FR: "Parties", EN: "Parties"},
    "client": {FR: "Client", EN: "Client"},
    "provider": {FR: "Prestataire", EN: "Provider"},
    "dates": {FR: "Dates", EN: "Dates"},
    "signed_on": {FR: "Signé le", EN: "Signed on"},
    "effective_on": {FR: "En vigueur le", EN: "Effective on"},
    "term": {FR: "Durée", EN: "Term"},
    "months": {FR: "{n} mois", EN: "{n} months"},
    "renewal": {FR: "Renouvellement", EN: "Renewal"},
    "renewal.tacit": {FR: "tacite", EN: "tacit"},
    "renewal.explicit": {FR: "exprès", EN: "explicit"},
    "renewal.none": {FR: "aucun", EN: "none"},
    "notice": {FR: "Préavis", EN: "Notice"},
    "perimeter": {FR: "Périmètre déclaré", EN: "Declared perimeter"},
    "equipment_count": {FR: "{n} équipement(s)", EN: "{n} item(s)"},
    "by_category": {FR: "Par catégorie", EN: "By category"},
    "by_site": {FR: "Par site", EN: "By site"},
    "no_site": {FR: "(sans site)", EN: "(no site)"},
    "networks": {FR: "Réseaux", EN: "Networks"},
    "excluded": {FR: "Exclus", EN: "Excluded"},
    "policies": {FR: "Politiques", EN: "Policies"},
    "treatment.tolerated": {FR: "toléré", EN: "tolerated"},
    "treatment.out_of_scope": {FR: "hors périmètre", EN: "out of scope"},
    "treatment.covered": {FR: "couvert", EN: "covered"},
    "fee": {FR: "Redevance du périmètre déclaré", EN: "Fee of the declared perimeter"},
    "fee.period": {FR: "par {period}, HT", EN: "per {period}, excl. tax"},
    "period.monthly": {FR: "mois", EN: "month"},
    "period.quarterly": {FR: "trimestre", EN: "quarter"},
    "period.yearly": {FR: "an", EN: "year"},
    "base_fee": {FR: "Forfait", EN: "Base fee"},
    "total": {FR: "Total HT", EN: "Total excl. tax"},
    "total_vat": {FR: "Total TTC (TVA {rate} %)", EN: "Total incl. VAT ({rate}%)"},
    "unpriced": {FR: "sans prix", EN: "no price"},
    "fee.unavailable": {
        FR: "non calculable (forfait ou prix unitaires absents)",
        EN: "cannot be computed (base fee or unit prices missing)",
    },
    "service_levels": {FR: "Niveaux de service", EN: "Service levels"},
    "hours": {FR: "Horaires", EN: "Hours"},
    "delay": {FR: "Délai d'intervention", EN: "Intervention delay"},
    "contacts": {FR: "Contacts", EN: "Contacts"},
    "hotline": {FR: "Hotline", EN: "Hotline"},
    "warnings": {FR: "Avertissements", EN: "Warnings"},
    "no_warnings": {FR: "aucun", EN: "none"},
    "clauses": {FR: "Contrôle des clauses", EN: "Clause check"},
    "clauses.ok": {
        FR: "toutes les clauses sont présentes ({n}/{n})",
        EN: "every clause is present ({n}/{n})",
    },
    "clauses.missing": {
        FR: "{missing} clause(s) absente(s) ou vide(s) sur {n} :",
        EN: "{missing} of {n} clauses missing or empty:",
    },
    "missing_value": {FR: "—", EN: "—"},
    "critical": {FR: "critique", EN: "critical"},
    "high": {FR: "haute", EN: "high"},
    "normal": {FR: "normale", EN: "normal"},
    "verdict.ok": {FR: "Contrat valide et complet.", EN: "Contract valid and complete."},
    "verdict.findings": {
        FR: "Contrat valide, clauses à compléter.",
        EN: "Contract valid, clauses to complete.",
    },
}

CATEGORIES: Catalog = {
    Category.COMPUTER: {FR: "ordinateur", EN: "computer"},
    Category.TABLET: {FR: "tablette", EN: "tablet"},
    Category.PHONE: {FR: "téléphone mobile", EN: "phone"},
    Category.SERVER: {FR: "serveur", EN: "server"},
    Category.HYPERVISOR: {FR: "hyperviseur", EN: "hypervisor"},
    Category.ROUTER: {FR: "routeur", EN: "router"},
    Category.FIREWALL: {FR: "pare-feu", EN: "firewall"},
    Category.SWITCH: {FR: "commutateur", EN: "switch"},
    Category.ACCESS_POINT: {FR: "point d'accès", EN: "access point"},
    Category.PRINTER: {FR: "imprimante", EN: "printer"},
    Category.NAS: {FR: "NAS", EN: "NAS"},
    Category.IP_PHONE: {FR: "téléphone IP", EN: "IP phone"},
    Category.CAMERA: {FR: "caméra", EN: "camera"},
    Category.IOT: {FR: "objet connecté", EN: "IoT device"},
    Category.UNKNOWN: {FR: "inconnu", EN: "unknown"},
}


def text(catalog: Catalog, code: str, lang: Language, **params: object) -> str:
    """Render one message; a thin alias so call sites stay short."""
    return render(catalog, code, params, lang)


CLI: Catalog = {
    "init.written": {FR: "Modèle écrit dans {path}", EN: "Template written to {path}"},
}
