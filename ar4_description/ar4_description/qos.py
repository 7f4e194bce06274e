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
The QoS of the project's topics, chosen once here (rclpy; imported by nodes only).

- JOINT_STATES: every node subscribes /joint_states with this profile. Reliable, matching the
  joint_state_broadcaster (it publishes with the system default: reliable, volatile, depth 10),
  so nothing is lost on a quiet link; depth 50 = 0.5 s of the 100 Hz controller, so a recorder
  whose executor stalls (a save starting, a slow image callback) loses no state it interpolates
  between. The teleop and policy node read only the newest and pay nothing for the depth.
- LATEST_COMMAND: the Servo command stream (TwistStamped / JointJog at 25 Hz). Servo acts on the
  newest command only; a deeper queue would replay stale twists after a stall, so depth 1.
- LATCHED: states a late joiner must learn at once (/recorder/state, /ar4_teleop/homing).
- GRIPPER_TARGET: /gripper_target is published on change (teleop) or every period (policy); it is
  transient local so that a recorder started later gets the target in force. Every publisher
  and subscriber of it uses this profile: a transient-local subscription does not match a
  volatile publisher.
"""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

JOINT_STATES = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=50,
                          reliability=ReliabilityPolicy.RELIABLE,
                          durability=DurabilityPolicy.VOLATILE)
LATEST_COMMAND = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                            reliability=ReliabilityPolicy.RELIABLE,
                            durability=DurabilityPolicy.VOLATILE)
LATCHED = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                     reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
GRIPPER_TARGET = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                            reliability=ReliabilityPolicy.RELIABLE,
                            durability=DurabilityPolicy.TRANSIENT_LOCAL)
