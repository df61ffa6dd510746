"""The emulated client site: network namespaces joined by bridges, with device personas.

Kept import-free on purpose: the persona runtime (``python -m scopeaudit.lab.persona``) starts
~20 times in parallel and must not pay for the infrastructure's imports. Entry points:
``scopeaudit.lab.topology`` (the topology file), ``scopeaudit.lab.instance`` (``Lab.up()`` and
``LabInstance``), ``scopeaudit.lab.supervisor`` (the detached process owning the personas).
"""
