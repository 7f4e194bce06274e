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

"""Every class an RViz config names is one the Jazzy RViz and MoveIt plugins provide."""

from pathlib import Path

import pytest
import yaml

RVIZ_DIR = Path(__file__).resolve().parents[1] / 'rviz'

# Panels built into rviz_common (ros2/rviz jazzy, rviz_common/src/rviz_common/panel_factory.cpp,
# addBuiltInClass). MoveIt's MotionPlanning display brings its own panel: moveit_ros_visualization
# registers no panel class (there is no moveit_rviz_plugin/MotionPlanningFrame).
PANELS = {f'rviz_common/{name}' for name in (
    'Displays', 'Help', 'Selection', 'Time', 'Tool Properties', 'Transformation', 'Views')}
# Displays: rviz_default_plugins/plugins_description.xml (jazzy) and moveit2 jazzy's
# moveit_ros/visualization/*_rviz_plugin_description.xml.
DISPLAYS = {f'rviz_default_plugins/{name}' for name in (
    'AccelStamped', 'Axes', 'Camera', 'DepthCloud', 'CameraInfo', 'Effort', 'Grid', 'GridCells',
    'FluidPressure', 'Illuminance', 'Image', 'InteractiveMarkers', 'LaserScan', 'Map',
    'PointCloud', 'PointCloud2', 'Polygon', 'Pose', 'PoseWithCovariance', 'Range',
    'RelativeHumidity', 'RobotModel', 'Temperature', 'TF', 'TwistStamped', 'Marker',
    'MarkerArray', 'Odometry', 'PoseArray', 'Path', 'PointStamped', 'Wrench')} | {
    f'moveit_rviz_plugin/{name}' for name in (
        'MotionPlanning', 'PlanningScene', 'RobotState', 'Trajectory')}
TOOLS = {f'rviz_default_plugins/{name}' for name in (
    'MoveCamera', 'PublishPoint', 'Select', 'SetGoal', 'Measure', 'FocusCamera',
    'SetInitialPose', 'Interact')}
VIEWS = {f'rviz_default_plugins/{name}' for name in (
    'Orbit', 'TopDownOrtho', 'XYOrbit', 'ThirdPersonFollower', 'FPS')}
CONFIGS = sorted(RVIZ_DIR.glob('*.rviz'))


def classes(config):
    """Return (kind, class) for every panel, display, tool and view the config names."""
    found = [('panel', panel['Class']) for panel in config.get('Panels') or []]
    manager = config['Visualization Manager']

    def displays(entries):
        for entry in entries or []:
            found.append(('display', entry['Class']))
            if entry['Class'] == 'rviz_common/Group':
                displays(entry.get('Displays'))

    displays(manager.get('Displays'))
    found += [('tool', tool['Class']) for tool in manager.get('Tools') or []]
    views = manager.get('Views') or {}
    found += [('view', view['Class'])
              for view in [views.get('Current')] + list(views.get('Saved') or []) if view]
    return found


def test_there_are_rviz_configs():
    assert {path.name for path in CONFIGS} >= {'moveit.rviz', 'view.rviz'}


@pytest.mark.parametrize('path', CONFIGS, ids=lambda path: path.name)
def test_every_class_exists_in_jazzy(path):
    known = {'panel': PANELS, 'display': DISPLAYS | {'rviz_common/Group'}, 'tool': TOOLS,
             'view': VIEWS}
    found = classes(yaml.safe_load(path.read_text()))
    assert found
    unknown = [(kind, name) for kind, name in found if name not in known[kind]]
    assert unknown == []


def test_the_moveit_config_shows_the_motion_planning_display():
    found = classes(yaml.safe_load((RVIZ_DIR / 'moveit.rviz').read_text()))
    assert ('display', 'moveit_rviz_plugin/MotionPlanning') in found
    assert ('panel', 'moveit_rviz_plugin/MotionPlanningFrame') not in found
