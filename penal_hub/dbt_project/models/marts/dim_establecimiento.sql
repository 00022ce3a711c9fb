{#- The establishments as a dimension for analysts: the marts name establishments by
    code, and the analysts' database holds marts only (no interop to join). -#}
select cod_ep, nombre_ep as establecimiento, oficina_regional, departamento, capacidad_albergue
from {{ ref('establecimiento') }}
