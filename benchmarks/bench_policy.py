# Copyright 2026 The AR4 LeRobot Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Benchmark the policy's control loop and SmolVLA chunk latency (medians).

Default mode, CPU:
  1. control-loop overhead per step, model excluded: image message -> RGB, joint state ->
     state7, chunk scheduler, safety filter, trajectory/gripper message building (target < 2 ms);
  2. per-chunk inference latency of the tiny offline SmolVLA through the real runner
     (preprocessor, model, postprocessor).

``--full-size``: a SmolVLA with the real architecture of smolvla_base (SmolVLM2-500M backbone:
SigLIP 768x12 at 512 px / patch 16, text 960 wide with 16 of its 32 layers kept, expert at 0.75
width, chunk 50, 10 flow-matching steps), random weights, built offline from a hand-written
config; times one chunk eager and with torch.compile. Meant for a GPU (``--device cuda``); the
published figures for an RTX 4090 are 207 ms eager and 49 ms compiled.

Run from the repository root:
  python benchmarks/bench_policy.py                      # loop overhead + tiny model, CPU
  python benchmarks/bench_policy.py --full-size --device cuda
"""

import argparse
import json
from pathlib import Path
import statistics
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
for _package in ('ar4_description', 'ar4_teleop', 'ar4_policy'):
    sys.path.insert(0, str(ROOT / _package))

# SmolVLM2-500M-Video-Instruct, the backbone of lerobot/smolvla_base.
FULL_TEXT = dict(hidden_size=960, intermediate_size=2560, num_hidden_layers=32,
                 num_attention_heads=15, num_key_value_heads=5, head_dim=64, vocab_size=49280,
                 rms_norm_eps=1e-5, rope_theta=100000.0, max_position_embeddings=8192)
FULL_VISION = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                   num_attention_heads=12, image_size=512, patch_size=16)
FULL_SMOLVLA = dict(num_vlm_layers=16, expert_width_multiplier=0.75, attention_mode='cross_attn',
                    self_attn_every_n_layers=2, num_expert_layers=-1, chunk_size=50,
                    n_action_steps=50, num_steps=10, resize_imgs_with_padding=(512, 512),
                    tokenizer_max_length=48, max_state_dim=32, max_action_dim=32)


def median_ms(samples):
    """Return the median of seconds as milliseconds."""
    return statistics.median(samples) * 1e3


def bench_loop(steps: int) -> dict:
    """Time one control step of the live loop with an instant model."""
    import numpy as np
    from rosbags.typesys import get_typestore, Stores

    from ar4_description.robot_constants import robot_constants
    from ar4_description.ros_messages import float64_msg, joint_positions, message_classes
    from ar4_policy.chunking import InlineExecutor
    from ar4_policy.control_loop import PolicyController
    from ar4_policy.policy_messages import joint_trajectory_msg
    from ar4_teleop.recording.adapters import image_to_rgb, rgb_to_image_msg

    store = get_typestore(Stores.ROS2_JAZZY).types
    classes = message_classes(store)
    constants = robot_constants()
    header = classes.Header(stamp=classes.Time(sec=0, nanosec=0), frame_id='camera')
    image_msg = rgb_to_image_msg(store['sensor_msgs/msg/Image'], header,
                                 np.zeros((480, 640, 3), np.uint8))
    names = list(constants.names7)
    joint_msg = store['sensor_msgs/msg/JointState'](
        header=header, name=names, position=constants.home7.copy(),
        velocity=np.zeros(7), effort=np.zeros(7))
    chunk = np.tile(constants.home7 + 0.01, (50, 1))
    period = 1.0 / 30
    controller = PolicyController(lambda image, state, task: chunk, 'place the red cube',
                                  n_action_steps=50, period_s=period,
                                  executor_factory=InlineExecutor)
    samples = []
    for i in range(steps):
        now = i * period
        start = time.perf_counter()
        controller.on_image(image_to_rgb(image_msg), now)
        controller.on_joint_state(joint_positions(joint_msg, names), now)
        command = controller.tick(now)
        joint_trajectory_msg(classes, constants.joint_names, command.arm, period)
        float64_msg(store['std_msgs/msg/Float64'], command.gripper)
        samples.append(time.perf_counter() - start)
    controller.close()
    return {'loop_overhead_ms_median': round(median_ms(samples), 4),
            'loop_overhead_ms_p99': round(sorted(samples)[int(0.99 * len(samples))] * 1e3, 4),
            'loop_steps': steps}


def bench_tiny(repeats: int, device: str) -> dict:
    """Time predict_chunk of the tiny offline SmolVLA through the real runner."""
    import numpy as np

    from ar4_description.robot_constants import robot_constants
    from ar4_policy.runner import PolicyRunner
    from ar4_policy.tiny_checkpoint import write_tiny_checkpoint

    with tempfile.TemporaryDirectory() as folder:
        checkpoint = write_tiny_checkpoint(Path(folder) / 'tiny')
        runner = PolicyRunner(checkpoint, device=device)
        runner.reset()
        image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
        state = robot_constants().home7
        runner.predict_chunk(image, state, 'place the red cube on the top shelf')  # warm-up
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            runner.predict_chunk(image, state, 'place the red cube on the top shelf')
            samples.append(time.perf_counter() - start)
    return {'tiny_chunk_ms_median': round(median_ms(samples), 3),
            'tiny_chunk_size': runner.chunk_size, 'tiny_repeats': repeats}


def write_full_size_vlm(folder: Path) -> Path:
    """Write a SmolVLM2-500M-shaped config (tokenizer from the tiny writer), no weights."""
    from transformers import SmolVLMConfig
    from transformers.models.llama import LlamaConfig

    from ar4_policy.tiny_vlm import IMAGE_SPECIAL_TOKENS, write_tiny_vlm

    write_tiny_vlm(folder)
    tiny = json.loads((folder / 'config.json').read_text())
    text = LlamaConfig(**FULL_TEXT, pad_token_id=tiny.get('pad_token_id'),
                       tie_word_embeddings=False)
    config = SmolVLMConfig(image_token_id=tiny['image_token_id'],
                           pad_token_id=tiny.get('pad_token_id'), scale_factor=4,
                           vision_config=dict(FULL_VISION), text_config=text.to_dict(),
                           tie_word_embeddings=False)
    config.save_pretrained(folder)
    assert IMAGE_SPECIAL_TOKENS
    return folder


def bench_full_size(device: str, repeats: int, compile_model: bool) -> dict:
    """Time one chunk of a full-size random SmolVLA, eager then torch.compile'd."""
    import torch
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    from ar4_policy.tiny_vlm import contract_features
    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig

    results = {'full_device': device}
    with tempfile.TemporaryDirectory() as folder:
        vlm = write_full_size_vlm(Path(folder) / 'smolvlm2_500m_shape')
        start = time.perf_counter()
        config = SmolVLAConfig(vlm_model_name=str(vlm), load_vlm_weights=False, device=device,
                               push_to_hub=False, **FULL_SMOLVLA, **contract_features())
        policy = SmolVLAPolicy(config).to(device).eval()
        results['full_build_s'] = round(time.perf_counter() - start, 1)
        results['full_parameters_m'] = round(
            sum(p.numel() for p in policy.parameters()) / 1e6, 1)
        tokens = policy.model.vlm_with_expert.processor.tokenizer(
            ['place the red cube on the top shelf\n'], return_tensors='pt')
        batch = {
            'observation.images.wrist_camera': torch.rand(1, 3, 480, 640, device=device),
            'observation.state': torch.zeros(1, 7, device=device),
            'observation.language.tokens': tokens['input_ids'].to(device),
            'observation.language.attention_mask': tokens['attention_mask'].bool().to(device),
        }

        def timed(label):
            samples = []
            for i in range(repeats + 1):
                if device.startswith('cuda'):
                    torch.cuda.synchronize()
                start = time.perf_counter()
                policy.predict_action_chunk(dict(batch))
                if device.startswith('cuda'):
                    torch.cuda.synchronize()
                if i:  # the first call warms up (and compiles)
                    samples.append(time.perf_counter() - start)
            results[f'full_chunk_ms_{label}_median'] = round(median_ms(samples), 1)

        with torch.inference_mode():
            timed('eager')
        if compile_model:
            policy.model.sample_actions = torch.compile(policy.model.sample_actions)
            with torch.inference_mode():
                timed('compiled')
    results['reference_rtx4090_ms'] = {'eager': 207, 'compiled': 49}
    return results


def main(argv=None) -> int:
    """Run the benchmark and print one JSON object with the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--steps', type=int, default=3000, help='control steps timed')
    parser.add_argument('--repeats', type=int, default=20, help='chunk inferences timed')
    parser.add_argument('--device', default='cpu', help='torch device (cpu, cuda)')
    parser.add_argument('--full-size', action='store_true',
                        help='time a full-size random SmolVLA (eager and compiled) instead')
    parser.add_argument('--no-compile', action='store_true',
                        help='with --full-size: skip the torch.compile measurement')
    args = parser.parse_args(argv)
    import os
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    if args.full_size:
        results = bench_full_size(args.device, args.repeats, not args.no_compile)
    else:
        results = {**bench_loop(args.steps), **bench_tiny(args.repeats, args.device)}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
