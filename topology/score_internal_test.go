package topology

import "testing"

func TestShapeScore(t *testing.T) {
	shape := []ShapePoint{{Utilization: 20, Score: 10}, {Utilization: 60, Score: 2}, {Utilization: 100, Score: 0}}
	tests := []struct {
		name        string
		utilization int64
		want        int64
	}{
		{name: "below the first point clamps", utilization: 0, want: 10},
		{name: "on a point", utilization: 60, want: 2},
		{name: "between points interpolates", utilization: 40, want: 6},
		{name: "above the last point clamps", utilization: 150, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shapeScore(shape, tt.utilization); got != tt.want {
				t.Errorf("shapeScore(%d) = %d, want %d", tt.utilization, got, tt.want)
			}
		})
	}
}
