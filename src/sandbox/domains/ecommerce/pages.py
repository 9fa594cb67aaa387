"""The pages of a session's events: search queries from the categories' vocabulary, and page URLs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.domains.ecommerce.events import CHECKOUT, PURCHASE, SEARCH
from sandbox.domains.ecommerce.shop import Catalogue, vocabulary


def queries(rng: np.random.Generator, search: np.ndarray, category: np.ndarray, shop: Catalogue) -> pa.DictionaryArray:
    """A query on each search event (related to the session's category of interest), null elsewhere."""
    vocab = vocabulary()["categories"]
    per_cat = [
        [n for n in vocab[c]["nouns"]] + [f"{a} {n}" for a in vocab[c]["adjectives"] for n in vocab[c]["nouns"]]
        for c in shop.categories
    ]
    offsets = np.cumsum([0] + [len(q) for q in per_cat])
    sizes = np.array([len(q) for q in per_cat])
    index = np.zeros(len(search), np.int32)
    wanted = category[search]
    index[search] = offsets[wanted] + (rng.random(len(wanted)) * sizes[wanted]).astype(np.int64)
    return pa.DictionaryArray.from_arrays(
        pa.array(index, mask=~search), pa.array([q for qs in per_cat for q in qs], pa.string())
    )


def urls(
    rng: np.random.Generator,
    etype: np.ndarray,
    product: np.ndarray,
    queries: pa.DictionaryArray,
    interest: np.ndarray,
    shop: Catalogue,
) -> pa.DictionaryArray:
    """Page URLs as a dictionary: category pages (the session's category of interest 60% of the time),
    checkout pages, one URL per product and per search query."""
    base = "https://shop.example"
    fixed = [f"{base}/c/{c}" for c in shop.categories] + [f"{base}/checkout", f"{base}/checkout/confirmation"]
    products = len(shop.category)
    dictionary = pa.concat_arrays(
        [
            pa.array(fixed, pa.string()),
            pc.binary_join_element_wise(f"{base}/p/", pc.cast(pa.array(np.arange(1, products + 1)), pa.string()), ""),
            pc.binary_join_element_wise(f"{base}/search?q=", pc.replace_substring(queries.dictionary, " ", "+"), ""),
        ]
    )
    categories, other = len(shop.categories), product < 0
    index = (len(fixed) + product).astype(np.int32)  # product pages; the rest are set below
    search, checkout, purchase = other & (etype == SEARCH), other & (etype == CHECKOUT), other & (etype == PURCHASE)
    index[search] = len(fixed) + products + pc.fill_null(queries.indices, 0).to_numpy()[search]
    index[checkout], index[purchase] = categories, categories + 1
    pages = np.flatnonzero(other & ~search & ~checkout & ~purchase)
    own = rng.random(len(pages)) < 0.6
    index[pages] = np.where(own, interest[pages], rng.integers(0, categories, len(pages)))
    return pa.DictionaryArray.from_arrays(pa.array(index), dictionary)
