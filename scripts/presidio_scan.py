"""Microsoft Presidio's regex recognizers over a corpus, as the peer in scripts/bench-scan.sh.

Usage: python presidio_scan.py FILE...
Runs EmailRecognizer, CreditCardRecognizer, IbanRecognizer and PhoneRecognizer (no NLP model:
pattern recognizers take nlp_artifacts=None) over each file in 100 kB chunks and prints the
number of results per entity, the bytes read and the seconds taken.
"""
import sys
import time

import tldextract

# The e-mail recognizer validates domains with tldextract, which would try to download the
# public suffix list; use the snapshot the package ships (no network).
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())

from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
)

recognizers = [
    (EmailRecognizer(), ["EMAIL_ADDRESS"]),
    (CreditCardRecognizer(), ["CREDIT_CARD"]),
    (IbanRecognizer(), ["IBAN_CODE"]),
    (PhoneRecognizer(supported_regions=("JP", "US", "UK")), ["PHONE_NUMBER"]),
]
counts = {}
total = 0
start = time.perf_counter()
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    total += len(text.encode("utf-8"))
    for i in range(0, len(text), 100_000):
        chunk = text[i : i + 100_000]
        for recognizer, entities in recognizers:
            for r in recognizer.analyze(chunk, entities, None):
                counts[r.entity_type] = counts.get(r.entity_type, 0) + 1
elapsed = time.perf_counter() - start
print(f"presidio: {total} bytes in {elapsed:.2f} s = {total / elapsed / 1e6:.3f} MB/s; {counts}")
