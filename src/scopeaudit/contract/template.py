"""The commented contract template written by ``contract init``, in French and English.

It loads without errors and leaves every clause empty, so ``contract check`` on it exits 1 and
lists what remains to fill in. Tests prove both properties for both languages.
"""

from __future__ import annotations

from pathlib import Path

from scopeaudit.errors import InputError, UsageError
from scopeaudit.taxonomy import Language

_EN = """\
# Perimeter of a managed-IT services contract, format version 1.
# Fill in every clause, then run: scopeaudit contract check THIS_FILE
# Never put credentials (SNMP communities, passwords, tokens) in a contract: it goes to the client.
format: 1
language: en                      # language of the reports made for this contract: fr | en

contract:
  reference: TO-BE-FILLED         # the contract's reference (required)
  title:
  parties:
    client:
      name:
      registration:               # e.g. company number
      address:
      representative:
    provider:
      name:
      registration:
      address:
      representative:
  signed_on:                      # YYYY-MM-DD
  effective_on:                   # YYYY-MM-DD
  term:
    duration_months:              # e.g. 36
    renewal:                      # tacit | explicit | none
    notice_months:                # e.g. 3
    termination:                  # how and when either party may end the contract
  billing:
    currency:                     # ISO 4217 code, e.g. EUR
    period:                       # monthly | quarterly | yearly
    payment_terms_days:           # e.g. 30
    price_revision:               # e.g. yearly, by an index
    base_fee:                     # flat fee per period, excl. tax, e.g. 450.00
    vat_rate:                     # optional, percent, e.g. 20
    unit_prices:                  # fee per covered device per period, by category, e.g.
      # computer: 32.00
      # server: 140.00
  responsibilities:
    provider:                     # the provider's commitments and liability
    client:                       # what the client remains responsible for
  missions: []                    # e.g. [operational_maintenance, user_support]
  service_levels:
    hours:                        # e.g. "Mon-Fri 08:00-18:00"
    intervention_delay:           # guaranteed delay before an intervention starts: 30m, 4h, 2d, 1w
      critical:
      high:
      normal:
    contacts: []                  # - {name: ..., role: ..., phone: "...", email: ...}
  hotline:
    availability:
    scope:
    pricing:                      # included, or a price per call / per hour
  confidentiality:
  data_security:
  reversibility:
    restitution_delay_days:
    formats: []                   # e.g. [csv, json]
    terms:
  client_obligations:

scope:
  sites:
    - id: HQ
      name: Head office
  networks:                       # the only networks the audit may probe (IPv4 CIDR, with a site)
    - cidr: 192.168.1.0/24
      site: HQ
      name: Office LAN
  exclude: []                     # never probed: - {cidr: 192.168.1.240/28, reason: Guest Wi-Fi}
  policies: []                    # how undeclared devices are treated, first match wins, e.g.
    # - id: byod
    #   match: {randomized_mac: true}   # category, randomized_mac, vendor, cidr, mac_prefix, hostname
    #   treatment: tolerated            # tolerated | out_of_scope | covered (with an optional limit)
    #   reason: Personal devices, not covered.

equipment: []                     # the declared perimeter, one entry per covered device, e.g.
  # - id: HQ-PC-01
  #   category: computer          # computer, tablet, phone, server, hypervisor, router, firewall,
  #                               # switch, access_point, printer, nas, ip_phone, camera, iot
  #   hostname: DESKTOP-7K3Q2ZD
  #   mac: ["b0:4f:13:5c:99:01"]
  #   serial: "00123"
  #   ip: 192.168.1.10
  #   site: HQ
  #   criticality: normal         # critical | high | normal
"""

_FR = """\
# Périmètre d'un contrat d'infogérance, format version 1.
# Complétez chaque clause, puis lancez : scopeaudit contract check CE_FICHIER
# Aucun secret (communautés SNMP, mots de passe, jetons) dans un contrat : il est remis au client.
format: 1
language: fr                      # langue des rapports de ce contrat : fr | en

contract:
  reference: A-COMPLETER          # référence du contrat (obligatoire)
  title:
  parties:
    client:
      name:
      registration:               # ex. « SIREN 812 345 678 »
      address:
      representative:
    provider:
      name:
      registration:
      address:
      representative:
  signed_on:                      # AAAA-MM-JJ
  effective_on:                   # AAAA-MM-JJ
  term:
    duration_months:              # ex. 36
    renewal:                      # tacit (tacite) | explicit (exprès) | none (aucun)
    notice_months:                # ex. 3
    termination:                  # conditions de résiliation
  billing:
    currency:                     # code ISO 4217, ex. EUR
    period:                       # monthly (mensuel) | quarterly (trimestriel) | yearly (annuel)
    payment_terms_days:           # ex. 30
    price_revision:               # ex. révision annuelle selon l'indice Syntec
    base_fee:                     # forfait par période, HT, ex. 450.00
    vat_rate:                     # facultatif, en %, ex. 20
    unit_prices:                  # prix par équipement couvert et par période, par catégorie, ex.
      # computer: 32.00
      # server: 140.00
  responsibilities:
    provider:                     # engagements et responsabilité du prestataire
    client:                       # ce qui reste à la charge du client
  missions: []                    # ex. [operational_maintenance, user_support]
  service_levels:
    hours:                        # ex. "lun-ven 08:00-18:00"
    intervention_delay:           # délai garanti avant intervention : 30m, 4h, 2d, 1w
      critical:
      high:
      normal:
    contacts: []                  # - {name: ..., role: ..., phone: "...", email: ...}
  hotline:
    availability:
    scope:
    pricing:                      # included (inclus), ou un prix par appel / par heure
  confidentiality:
  data_security:
  reversibility:
    restitution_delay_days:
    formats: []                   # ex. [csv, json]
    terms:
  client_obligations:

scope:
  sites:
    - id: SIEGE
      name: Siège
  networks:                       # les seuls réseaux que l'audit peut sonder (CIDR IPv4, avec site)
    - cidr: 192.168.1.0/24
      site: SIEGE
      name: LAN du siège
  exclude: []                     # jamais sondés : - {cidr: 192.168.1.240/28, reason: Wi-Fi invités}
  policies: []                    # traitement des équipements non déclarés, la 1re qui s'applique, ex.
    # - id: byod
    #   match: {randomized_mac: true}   # category, randomized_mac, vendor, cidr, mac_prefix, hostname
    #   treatment: tolerated            # tolerated | out_of_scope | covered (limit facultatif)
    #   reason: Appareils personnels, hors périmètre.

equipment: []                     # le périmètre déclaré, une entrée par équipement couvert, ex.
  # - id: SIEGE-PC-01
  #   category: computer          # computer, tablet, phone, server, hypervisor, router, firewall,
  #                               # switch, access_point, printer, nas, ip_phone, camera, iot
  #   hostname: DESKTOP-7K3Q2ZD
  #   mac: ["b0:4f:13:5c:99:01"]
  #   serial: "00123"
  #   ip: 192.168.1.10
  #   site: SIEGE
  #   criticality: normal         # critical (critique) | high (haute) | normal (normale)
"""

TEMPLATES: dict[Language, str] = {Language.FR: _FR, Language.EN: _EN}

_EXISTS = {
    Language.FR: "{path} existe déjà ; choisissez un autre --output ou ajoutez --force",
    Language.EN: "{path} already exists; choose another --output or add --force",
}
_CANNOT = {
    Language.FR: "{path} : écriture impossible ({detail})",
    Language.EN: "{path}: cannot write ({detail})",
}


def template(lang: Language) -> str:
    """The commented template in ``lang``."""
    return TEMPLATES[lang]


def write_template(path: Path, lang: Language, *, force: bool = False) -> None:
    """Write the template to ``path``; refuse to overwrite unless ``force``."""
    if path.exists() and not force:
        raise UsageError(_EXISTS[lang].format(path=path))
    try:
        path.write_text(TEMPLATES[lang], encoding="utf-8")
    except OSError as error:
        raise InputError(_CANNOT[lang].format(path=path, detail=error.strerror)) from None
