"""Measure person links against a simulator's truth: pairwise precision and recall.

Used by the tests and by `hub bench`: the crosswalk (source, source id -> person
key) is compared with the truth's (source, source id -> person), over every pair
of records that either side puts together.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from penal_hub.core.warehouse import Warehouse


def pairs(groups: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in groups.values())


def link_quality(con: Warehouse, truth_dir: Path) -> dict:
    links = json.loads((truth_dir / "person_links.json").read_text())
    documents = json.loads((truth_dir / "truth.json").read_text())["person_documents"]
    truth = {(src, sid): pid for src, ids in links.items() for sid, pid in ids.items()}
    predicted = {(src, sid): key for src, sid, key in con.rows(
        "select fuente, fuente_id, persona_key from intermediate.int_person_crosswalk")}
    common = truth.keys() & predicted.keys()
    true_groups = Counter(truth[r] for r in common)
    pred_groups = Counter(predicted[r] for r in common)
    both = Counter((truth[r], predicted[r]) for r in common)
    tp, pred_pairs, true_pairs = pairs(both), pairs(pred_groups), pairs(true_groups)
    # Persons (by the truth) whose records carry two different documents and were merged.
    docs_per_key: dict[str, set] = {}
    for r in common:
        tipo, numero = documents[truth[r]]
        if numero:
            docs_per_key.setdefault(predicted[r], set()).add((tipo, numero))
    return {
        "records": len(common),
        "missing_records": len(truth.keys() - predicted.keys()),
        "precision": tp / pred_pairs if pred_pairs else 1.0,
        "recall": tp / true_pairs if true_pairs else 1.0,
        "keys_with_two_documents": sum(1 for d in docs_per_key.values() if len(d) > 1),
    }
