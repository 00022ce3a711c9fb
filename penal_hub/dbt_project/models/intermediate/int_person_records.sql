{#- Every record that describes a person, from the three sources, in one shape:
    the registry's inmate (latest extract), the court's resolution subject, the
    medio libre case's person. -#}
with registry as (
    select
        'inpe_registro' as fuente, id_interno as fuente_id,
        doc_tipo, doc_numero, doc_valido,
        apellido_paterno, apellido_materno, nombres,
        apellido_paterno_norm, apellido_materno_norm, nombres_norm,
        fecha_nacimiento, sexo, nacionalidad,
        row_number() over (partition by id_interno order by fecha_corte desc) as recency
    from {{ ref('stg_inpe__internos') }}
),

court as (
    select
        'pj_resoluciones' as fuente, resolucion_id as fuente_id,
        doc_tipo, doc_numero, doc_valido,
        apellido_paterno, apellido_materno, nombres,
        apellido_paterno_norm, apellido_materno_norm, nombres_norm,
        fecha_nacimiento, sexo, cast(null as varchar) as nacionalidad
    from {{ ref('int_pj__resoluciones_vigentes') }}
),

medio_libre as (
    select
        'inpe_medio_libre' as fuente, id_caso as fuente_id,
        doc_tipo, doc_numero, doc_valido,
        apellido_paterno, apellido_materno, nombres,
        apellido_paterno_norm, apellido_materno_norm, nombres_norm,
        fecha_nacimiento, sexo, cast(null as varchar) as nacionalidad
    from {{ ref('int_ml__casos_vigentes') }}
),

unioned as (
    select fuente, fuente_id, doc_tipo, doc_numero, doc_valido, apellido_paterno,
           apellido_materno, nombres, apellido_paterno_norm, apellido_materno_norm,
           nombres_norm, fecha_nacimiento, sexo, nacionalidad
    from registry where recency = 1
    union all
    select * from court
    union all
    select * from medio_libre
)

select
    *,
    case when doc_valido then doc_tipo || ':' || doc_numero end as documento_id,
    -- Blocking key for records without a usable document: paternal surname, given
    -- names in any order, birth date. The maternal surname is compared apart, as
    -- courts often omit it.
    case when apellido_paterno_norm is not null and nombres_norm is not null
              and fecha_nacimiento is not null
         then apellido_paterno_norm || '|' || nombres_norm || '|' || cast(fecha_nacimiento as varchar)
    end as nombre_clave
from unioned
