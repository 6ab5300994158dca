package printers

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type testPrintType struct {
	Data string
}

func (obj *testPrintType) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (obj *testPrintType) DeepCopyObject() runtime.Object {
	if obj == nil {
		return nil
	}
	clone := *obj
	return &clone
}

func printCustomType(obj *testPrintType, options GenerateOptions) ([]metav1.TableRow, error) {
	cells := []interface{}{obj.Data}
	if options.Wide {
		cells = append(cells, "wide")
	}
	return []metav1.TableRow{{Cells: cells}}, nil
}

func errorPrintHandler(obj *testPrintType, options GenerateOptions) ([]metav1.TableRow, error) {
	return nil, errors.New("errorPrintHandler error")
}

func TestGenerateTableColumns(t *testing.T) {
	columns := []metav1.TableColumnDefinition{{Name: "Data"}, {Name: "Extra", Priority: 1}}
	generator := NewTableGenerator()
	if err := generator.TableHandler(columns, printCustomType); err != nil {
		t.Fatalf("TableHandler: %v", err)
	}

	tests := []struct {
		name    string
		options GenerateOptions
		want    *metav1.Table
	}{
		{
			name:    "default drops priority columns",
			options: GenerateOptions{},
			want: &metav1.Table{
				ColumnDefinitions: []metav1.TableColumnDefinition{{Name: "Data"}},
				Rows:              []metav1.TableRow{{Cells: []interface{}{"test object"}}},
			},
		},
		{
			name:    "wide keeps all columns",
			options: GenerateOptions{Wide: true},
			want: &metav1.Table{
				ColumnDefinitions: columns,
				Rows:              []metav1.TableRow{{Cells: []interface{}{"test object", "wide"}}},
			},
		},
		{
			name:    "no headers",
			options: GenerateOptions{Wide: true, NoHeaders: true},
			want: &metav1.Table{
				Rows: []metav1.TableRow{{Cells: []interface{}{"test object", "wide"}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := generator.GenerateTable(&testPrintType{"test object"}, tt.options)
			if err != nil {
				t.Fatalf("GenerateTable: %v", err)
			}
			if !reflect.DeepEqual(tt.want, got) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestGenerateTableErrors(t *testing.T) {
	generator := NewTableGenerator()
	if err := generator.TableHandler([]metav1.TableColumnDefinition{{Name: "Data"}}, errorPrintHandler); err != nil {
		t.Fatalf("TableHandler: %v", err)
	}
	if _, err := generator.GenerateTable(&testPrintType{"x"}, GenerateOptions{}); err == nil || err.Error() != "errorPrintHandler error" {
		t.Errorf("expected the print func's error, got %v", err)
	}
	if _, err := generator.GenerateTable(&metav1.Status{}, GenerateOptions{}); err == nil || !strings.Contains(err.Error(), "no table handler registered") {
		t.Errorf("expected missing handler error, got %v", err)
	}
}

func TestTableHandlerRejects(t *testing.T) {
	tests := []struct {
		name      string
		printFunc interface{}
	}{
		{name: "not a function", printFunc: "nope"},
		{name: "wrong arity", printFunc: func(*testPrintType) ([]metav1.TableRow, error) { return nil, nil }},
		{name: "wrong options type", printFunc: func(*testPrintType, bool) ([]metav1.TableRow, error) { return nil, nil }},
		{name: "wrong result type", printFunc: func(*testPrintType, GenerateOptions) ([]string, error) { return nil, nil }},
		{name: "duplicate", printFunc: printCustomType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			generator := NewTableGenerator()
			if err := generator.TableHandler(nil, printCustomType); err != nil {
				t.Fatalf("TableHandler: %v", err)
			}
			if err := generator.TableHandler(nil, tt.printFunc); err == nil {
				t.Errorf("expected registration to fail")
			}
		})
	}
}
