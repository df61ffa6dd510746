"""Every text of the classifier, in French and English, keyed by a stable code.

Reasons are ``{code, params, text}``: ``params`` carry the rule id, the signal, the evidence as
received and both labels of the rule, so a reason can be rendered again in any language without
the rules file. Evidence strings stay raw here; renderers escape them.
"""

from __future__ import annotations

from collections.abc import Mapping

from scopeaudit.classify.evidence import Signal
from scopeaudit.contract.messages import CATEGORIES
from scopeaudit.i18n import Catalog, render
from scopeaudit.models import Reason
from scopeaudit.taxonomy import Category, Language

FR, EN = Language.FR, Language.EN

# Exhaustive over Signal (tested).
SIGNALS: Catalog = {
    Signal.OUI: {FR: "OUI", EN: "OUI"},
    Signal.MAC_VENDOR: {FR: "fabricant de l'adresse MAC", EN: "MAC vendor"},
    Signal.MAC_LOCAL: {FR: "adresse MAC locale (aléatoire)", EN: "locally administered MAC"},
    Signal.OPEN_PORTS: {FR: "ports ouverts", EN: "open ports"},
    Signal.SERVICE: {FR: "service nmap", EN: "nmap service"},
    Signal.NMAP_DEVICE_TYPE: {FR: "type d'appareil nmap", EN: "nmap device type"},
    Signal.SSH_BANNER: {FR: "bannière SSH", EN: "SSH banner"},
    Signal.HTTP_SERVER: {FR: "en-tête HTTP Server", EN: "HTTP Server header"},
    Signal.HTTP_TITLE: {FR: "titre HTTP", EN: "HTTP title"},
    Signal.TLS_SUBJECT: {FR: "sujet du certificat TLS", EN: "TLS certificate subject"},
    Signal.TLS_ISSUER: {FR: "émetteur du certificat TLS", EN: "TLS certificate issuer"},
    Signal.RTSP_SERVER: {FR: "serveur RTSP", EN: "RTSP server"},
    Signal.SIP_USER_AGENT: {FR: "User-Agent SIP", EN: "SIP User-Agent"},
    Signal.FTP_BANNER: {FR: "bannière FTP", EN: "FTP banner"},
    Signal.TELNET_BANNER: {FR: "bannière telnet", EN: "telnet banner"},
    Signal.GREETING: {FR: "message d'accueil", EN: "greeting"},
    Signal.PJL_ID: {FR: "identifiant PJL", EN: "PJL ID"},
    Signal.MDNS_SERVICE: {FR: "service mDNS", EN: "mDNS service"},
    Signal.MDNS_TXT: {FR: "mDNS", EN: "mDNS"},
    Signal.DHCP_VENDOR_CLASS: {FR: "DHCP option 60", EN: "DHCP option 60"},
    Signal.DHCP_PRL: {FR: "DHCP option 55", EN: "DHCP option 55"},
    Signal.HOSTNAME: {FR: "nom", EN: "name"},
    Signal.NBNS_NAME: {FR: "nom NetBIOS", EN: "NetBIOS name"},
    Signal.LLDP_CAPS: {FR: "capacités LLDP", EN: "LLDP capabilities"},
    Signal.LLDP_DESCRIPTION: {FR: "description LLDP", EN: "LLDP description"},
    Signal.LLDP_MED: {FR: "LLDP-MED", EN: "LLDP-MED"},
    Signal.CDP_CAPS: {FR: "capacités CDP", EN: "CDP capabilities"},
    Signal.CDP_PLATFORM: {FR: "plateforme CDP", EN: "CDP platform"},
    Signal.CDP_SOFTWARE: {FR: "logiciel CDP", EN: "CDP software"},
    Signal.SNMP_SYSDESCR: {FR: "SNMP sysDescr", EN: "SNMP sysDescr"},
    Signal.SNMP_SYSOBJECTID: {FR: "SNMP sysObjectID", EN: "SNMP sysObjectID"},
    Signal.SNMP_SYSSERVICES: {FR: "SNMP sysServices", EN: "SNMP sysServices"},
    Signal.SNMP_IP_FORWARDING: {FR: "SNMP ipForwarding", EN: "SNMP ipForwarding"},
    Signal.SNMP_BRIDGE_PORTS: {FR: "SNMP dot1dBaseNumPorts", EN: "SNMP dot1dBaseNumPorts"},
    Signal.SNMP_OID: {FR: "SNMP", EN: "SNMP"},
    Signal.SSDP: {FR: "SSDP", EN: "SSDP"},
    Signal.TTL: {FR: "TTL initial", EN: "initial TTL"},
    Signal.OS_CLASS: {FR: "classe d'OS nmap", EN: "nmap OS class"},
}

MESSAGES: Catalog = {
    "classify.rule": {
        FR: "{signal} {evidence} → {target} ({label})",
        EN: "{signal} {evidence} → {target} ({label})",
    },
    "classify.unsupported": {
        FR: "{signal} {evidence} → {target} ({label}) : non compté, ce signal ne décide pas seul",
        EN: "{signal} {evidence} → {target} ({label}): not counted, this signal cannot decide alone",
    },
    "classify.decision": {
        FR: "{category} avec une confiance de {confidence} (seuil {threshold})",
        EN: "{category} with confidence {confidence} (threshold {threshold})",
    },
    "classify.competitor": {
        FR: "indices contraires pour {category} ({score}) : confiance réduite",
        EN: "competing evidence for {category} ({score}): confidence lowered",
    },
    "classify.below_threshold": {
        FR: "inconnu : meilleure hypothèse {category} à {confidence}, sous le seuil {threshold}",
        EN: "unknown: best guess {category} at {confidence}, below the threshold {threshold}",
    },
    "classify.no_rule": {
        FR: "inconnu : aucune règle ne reconnaît ces indices",
        EN: "unknown: no rule recognises this evidence",
    },
    "classify.pinned": {
        FR: "{category} fixé par le technicien ({author}, {date}) : {reason}",
        EN: "{category} set by technician ({author}, {date}): {reason}",
    },
    "classify.pinned_name": {
        FR: "nom « {name} » fixé par le technicien ({author}, {date}) : {reason}",
        EN: "name '{name}' set by technician ({author}, {date}): {reason}",
    },
    "classify.bmc_parent": {
        FR: "contrôleur de gestion de {parent} (rapproché par {how} : {value})",
        EN: "management controller of {parent} (matched by {how}: {value})",
    },
    "classify.target.none": {FR: "sans catégorie", EN: "no category"},
    "classify.target.not": {FR: "pas {category}", EN: "not {category}"},
    "how.serial": {FR: "numéro de série", EN: "serial number"},
    "how.name": {FR: "nom", EN: "name"},
    "how.only_candidate": {
        FR: "seul serveur du même fabricant",
        EN: "only server of the same vendor",
    },
    # explain
    "explain.title": {FR: "Appareil {id}", EN: "Device {id}"},
    "explain.identity": {
        FR: "MAC : {macs} · IP : {ips} · noms : {names}",
        EN: "MACs: {macs} · IPs: {ips} · names: {names}",
    },
    "explain.evidence": {FR: "Indices", EN: "Evidence"},
    "explain.rules": {FR: "Règles déclenchées", EN: "Rules that fired"},
    "explain.decision": {FR: "Décision", EN: "Decision"},
    "explain.col.signal": {FR: "signal", EN: "signal"},
    "explain.col.value": {FR: "valeur", EN: "value"},
    "explain.col.observations": {FR: "observations", EN: "observations"},
    "explain.col.rule": {FR: "règle", EN: "rule"},
    "explain.col.votes": {FR: "votes (poids)", EN: "votes (weight)"},
    "explain.col.counted": {FR: "compté", EN: "counted"},
    "explain.col.meaning": {FR: "signification", EN: "meaning"},
    "explain.yes": {FR: "oui", EN: "yes"},
    "explain.no": {FR: "non (ne décide pas seul)", EN: "no (cannot decide alone)"},
    "explain.scores": {FR: "Scores : {scores}", EN: "Scores: {scores}"},
    "explain.attributes": {
        FR: "fabricant {vendor} · modèle {model} · OS {os} · format {form_factor} · virtuel {virtual}"
        " · rôle {role} · parent {parent}",
        EN: "vendor {vendor} · model {model} · OS {os} · form factor {form_factor} · virtual"
        " {virtual} · role {role} · parent {parent}",
    },
    "explain.no_evidence": {FR: "aucun indice", EN: "no evidence"},
    "explain.none": {FR: "—", EN: "—"},
    # file-level problems of rules and decisions files (the contract's say "contract")
    "file.missing": {
        FR: "fichier introuvable ; indiquez le chemin d'un fichier YAML existant",
        EN: "no such file; give the path of an existing YAML file",
    },
    "file.directory": {
        FR: "c'est un dossier ; attendu : un fichier YAML",
        EN: "this is a directory; expected a YAML file",
    },
    "file.too_large": {
        FR: "fichier trop gros (plus de {limit_mb} Mo)",
        EN: "file too large (over {limit_mb} MB)",
    },
    "file.empty": {
        FR: "fichier vide ; attendu : format: 1 puis la liste (docs/classification.md)",
        EN: "empty file; expected format: 1 and the list (docs/classification.md)",
    },
    "file.too_deep": {
        FR: "imbrication trop profonde (plus de {limit} niveaux)",
        EN: "nesting too deep (over {limit} levels)",
    },
    "file.not_mapping": {
        FR: "le document n'est pas une table clé: valeur ; attendu : format: 1 puis la liste",
        EN: "the document is not a key: value mapping; expected format: 1 and the list",
    },
    # device resolution
    "device.not_found": {
        FR: "{file} : aucun appareil ne correspond à « {query} » (id, préfixe d'id, MAC ou nom)",
        EN: "{file}: no device matches '{query}' (id, id prefix, MAC or name)",
    },
    "device.ambiguous": {
        FR: "{file} : « {query} » désigne plusieurs appareils ({candidates}) ; précisez",
        EN: "{file}: '{query}' matches several devices ({candidates}); be more specific",
    },
}


def category_name(category: Category | str, lang: Language) -> str:
    try:
        return render(CATEGORIES, Category(category), {}, lang)
    except (KeyError, ValueError):
        return str(category)


def signal_name(signal: Signal | str, lang: Language) -> str:
    try:
        return render(SIGNALS, Signal(signal), {}, lang)
    except (KeyError, ValueError):
        return str(signal)


def votes_text(votes: str, lang: Language) -> str:
    """``router:0.3,switch:0.3`` (as kept in params) as ``routeur/commutateur``."""
    wanted: list[str] = []
    unwanted: list[str] = []
    for part in votes.split(","):
        if ":" not in part:
            continue
        name, weight = part.split(":", 1)
        target = unwanted if weight.startswith("-") else wanted
        target.append(category_name(name, lang))
    shown = "/".join(wanted)
    if unwanted:
        negative = render(MESSAGES, "classify.target.not", {"category": "/".join(unwanted)}, lang)
        shown = f"{shown}, {negative}" if shown else negative
    return shown or render(MESSAGES, "classify.target.none", {}, lang)


def reason_text(code: str, params: Mapping[str, object], lang: Language) -> str:
    """Render a classifier reason in ``lang`` from its code and params."""
    shown = dict(params)
    if code in ("classify.rule", "classify.unsupported"):
        shown["signal"] = signal_name(str(params.get("signal", "")), lang)
        shown["target"] = votes_text(str(params.get("votes", "")), lang)
        shown["label"] = params.get("label_fr" if lang == FR else "label_en", "")
    for key in ("category",):
        if key in shown and isinstance(shown[key], str):
            shown[key] = category_name(str(shown[key]), lang)
    if code == "classify.bmc_parent" and isinstance(params.get("how"), str):
        shown["how"] = render(MESSAGES, f"how.{params['how']}", {}, lang)
    return render(MESSAGES, code, shown, lang)


def reason(code: str, params: Mapping[str, object], lang: Language) -> Reason:
    """A ``Reason`` with its text in ``lang``."""
    clean = {
        k: v for k, v in params.items() if v is None or isinstance(v, str | int | float | bool)
    }
    return Reason(code=code, params=clean, text=reason_text(code, clean, lang))


def rerender(item: Reason, lang: Language) -> Reason:
    """The same reason with its text in another language (unknown codes keep their text)."""
    if item.code not in MESSAGES:
        return item
    return item.model_copy(update={"text": reason_text(item.code, item.params, lang)})
