"""ItemBatcher: a Distributed Map hands its iterations batches of items."""

from __future__ import annotations

import pytest

import stepline


def batching_map(batcher: dict, *, selector: dict | None = None, jsonata: bool = False) -> dict:
    state: dict = {"Type": "Map", "End": True, "ItemBatcher": batcher,
                   "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                     "StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}}
    if jsonata:
        state["Items"] = "{% $states.input.items %}"
    else:
        state["ItemsPath"] = "$.items"
    if selector is not None:
        state["ItemSelector"] = selector
    definition = {"StartAt": "M", "States": {"M": state}}
    if jsonata:
        definition["QueryLanguage"] = "JSONata"
    return definition


def test_max_items_per_batch_with_batch_input_and_item_selector() -> None:
    ex = stepline.run(batching_map({"MaxItemsPerBatch": 2, "BatchInput": {"factor.$": "$.f"}},
                                   selector={"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"}),
                      {"items": [10, 20, 30, 40, 50], "f": 3})
    assert ex.status == "SUCCEEDED"
    assert ex.output == [
        {"BatchInput": {"factor": 3}, "Items": [{"v": 10, "i": 0}, {"v": 20, "i": 1}]},
        {"BatchInput": {"factor": 3}, "Items": [{"v": 30, "i": 2}, {"v": 40, "i": 3}]},
        {"BatchInput": {"factor": 3}, "Items": [{"v": 50, "i": 4}]},
    ]


def test_max_input_bytes_per_batch_splits_by_size() -> None:
    ex = stepline.run(batching_map({"MaxInputBytesPerBatch": 30}), {"items": ["aaaaaaaa", "bbbbbbbb", "cc"]})
    # {"Items":["aaaaaaaa","bbbbbbbb"]} would be 33 bytes
    assert [b["Items"] for b in ex.output] == [["aaaaaaaa"], ["bbbbbbbb", "cc"]]
    assert all(len(stepline.asl.values.dumps(b)) <= 30 for b in ex.output)


def test_both_limits_apply() -> None:
    ex = stepline.run(batching_map({"MaxItemsPerBatch": 2, "MaxInputBytesPerBatch": 1000}),
                      {"items": list(range(5))})
    assert [b["Items"] for b in ex.output] == [[0, 1], [2, 3], [4]]


def test_limits_from_paths() -> None:
    ex = stepline.run(batching_map({"MaxItemsPerBatchPath": "$.n"}), {"items": [1, 2, 3], "n": 3})
    assert ex.output == [{"Items": [1, 2, 3]}]


def test_jsonata_batcher() -> None:
    ex = stepline.run(batching_map({"MaxItemsPerBatch": "{% $states.input.n %}",
                                    "BatchInput": {"tag": "{% $states.input.tag %}"}}, jsonata=True),
                      {"items": ["x", "y", "z"], "n": 2, "tag": "t"})
    assert ex.output == [{"BatchInput": {"tag": "t"}, "Items": ["x", "y"]},
                         {"BatchInput": {"tag": "t"}, "Items": ["z"]}]


def test_an_item_larger_than_the_byte_limit_fails() -> None:
    ex = stepline.run(batching_map({"MaxInputBytesPerBatch": 20}), {"items": ["x" * 50]})
    assert (ex.status, ex.error) == ("FAILED", "States.Runtime")
    assert "larger than MaxInputBytesPerBatch" in ex.cause


@pytest.mark.parametrize("batcher", [{}, {"BatchInput": {}}])
def test_a_batcher_needs_a_limit(batcher: dict) -> None:
    diagnostics = stepline.validate(batching_map(batcher))
    assert any("ItemBatcher needs one of" in d.message for d in diagnostics)
