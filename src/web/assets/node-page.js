// A storage node's page: the status regions refresh themselves, the charts draw and follow.

import './refresh.js';
import './charts.js';
