{#- The indicators as a dimension for analysts (docs/outputs.md, "marts.dim_indicador"):
    what every code of indicadores_politica means, and every measure of
    ejecucion_indicadores (a column there: `columna` says which), in Spanish, with its
    unit and the policy objective its code names. Written here, once: the report and
    dbt docs read it from this model. -#}
{%- set pct_note = 'Porcentaje de 0 a 100, redondeado a 2 decimales (mitad hacia arriba).' -%}
{%- set programas = {
    'ALFABETIZACION': 'alfabetización',
    'PEBAJA': 'educación básica alternativa (PEBAJA)',
    'CETPRO': 'educación técnico-productiva (CETPRO)',
    'SUPERIOR': 'educación superior'} -%}
{%- set motivos = {
    'SEGURIDAD_PENITENCIARIA': 'por seguridad penitenciaria',
    'REORDENAMIENTO': 'por reordenamiento',
    'TRATAMIENTO_PENITENCIARIO': 'por tratamiento penitenciario',
    'EXCEPCIONAL': 'excepcionales'} -%}
{%- set indicadores = [
    ('POBLACION_INTRAMUROS', 'Población intramuros', 'personas',
     'Personas en el internos.csv del corte del registro del INPE.', none),
    ('POBLACION_SENTENCIADA', 'Población sentenciada', 'personas',
     'De la población intramuros, las personas con situación jurídica SENTENCIADO.', none),
    ('POBLACION_PROCESADA', 'Población procesada', 'personas',
     'De la población intramuros, las personas con situación jurídica PROCESADO.', none),
    ('OP01_PCT_SIN_SENTENCIA', 'Población sin sentencia', '%',
     'Población procesada sobre población intramuros. ' ~ pct_note, 'OP01'),
    ('POBLACION_MEDIO_LIBRE', 'Población en medio libre', 'personas',
     'Personas distintas con un caso de medio libre al corte (versión vigente, activo o pasivo).',
     none),
    ('OP04_PCT_CUMPLIMIENTO_MEDIO_LIBRE', 'Cumplimiento de penas limitativas y medidas alternativas',
     '%', 'De los casos de prestación de servicios a la comunidad, limitación de días libres, '
     ~ 'pena suspendida y reserva del fallo, los que están ACTIVO. ' ~ pct_note, 'OP04'),
    ('OP04_PPL_ACTIVIDAD_LABORAL', 'Internos en actividad laboral', 'personas',
     'Personas distintas con una actividad LABORAL en el año calendario hasta el corte.', 'OP04'),
] -%}
{%- for codigo, programa in programas.items() -%}
    {%- do indicadores.append(('OP04_PPL_EDUCACION_' ~ codigo, 'Internos en ' ~ programa, 'personas',
        'Personas distintas matriculadas en ' ~ programa ~ ' en el año calendario hasta el corte.',
        'OP04')) -%}
{%- endfor -%}
{%- do indicadores.extend([
    ('OP04_PCT_TRATAMIENTO_ESPECIALIZADO', 'Internos en tratamiento especializado', '%',
     'Personas distintas en los programas CREO, TAS o DEVIDA en el año calendario hasta el '
     ~ 'corte, sobre la población intramuros. ' ~ pct_note, 'OP04'),
    ('VEP_ACTIVOS', 'Vigilancia electrónica personal activa', 'casos',
     'Casos de medio libre al corte con vigilancia electrónica activa.', none),
]) -%}
{%- for codigo, motivo in motivos.items() -%}
    {%- do indicadores.append(('TRASLADOS_' ~ codigo, 'Traslados ' ~ motivo, 'traslados',
        'Traslados entre establecimientos con motivo ' ~ codigo ~ ' en el año calendario hasta '
        ~ 'el corte.', none)) -%}
{%- endfor -%}
{%- set ejecucion = [
    ('ordenes', 'Órdenes ejecutadas o en espera', 'órdenes',
     'Órdenes del mes ejecutadas por un movimiento o aún en espera al corte.'),
    ('ejecutadas', 'Órdenes ejecutadas', 'órdenes',
     'De ellas, las ejecutadas por un movimiento (EGRESO o INGRESO).'),
    ('mediana_dias', 'Mediana de días hasta la ejecución', 'días',
     'El menor d tal que al menos la mitad de las órdenes ejecutadas tardaron d días o menos.'),
    ('p90_dias', 'Percentil 90 de días hasta la ejecución', 'días',
     'El menor d tal que al menos el 90 % de las órdenes ejecutadas tardaron d días o menos.'),
    ('ejecutadas_en_un_dia', 'Órdenes ejecutadas en el día o el siguiente', 'órdenes',
     'Órdenes ejecutadas a 0 o 1 día de su fecha de referencia.'),
    ('pct_ejecutadas_en_un_dia', 'Órdenes ejecutadas en el día o el siguiente', '%',
     'Órdenes ejecutadas en el día o el siguiente sobre órdenes ejecutadas. ' ~ pct_note),
    ('en_espera', 'Órdenes en espera', 'órdenes', 'Órdenes aún sin ejecutar al último corte.'),
] -%}
with indicadores (codigo_indicador, indicador, unidad, definicion, objetivo_politica, mart, columna) as (
    values
    {%- for codigo, indicador, unidad, definicion, objetivo in indicadores %}
        ({{ text_literal(codigo) }}, {{ text_literal(indicador) }}, {{ text_literal(unidad) }},
         {{ text_literal(definicion) }}, {{ text_literal(objetivo) }}, 'indicadores_politica',
         'valor'),
    {%- endfor %}
    {%- for columna, indicador, unidad, definicion in ejecucion %}
        ({{ text_literal('EJECUCION_' ~ columna | upper) }}, {{ text_literal(indicador) }},
         {{ text_literal(unidad) }}, {{ text_literal(definicion) }}, null, 'ejecucion_indicadores',
         {{ text_literal(columna) }})
        {{- "," if not loop.last }}
    {%- endfor %}
)

select
    cast(codigo_indicador as varchar) as codigo_indicador,
    cast(indicador as varchar) as indicador,
    cast(unidad as varchar) as unidad,
    cast(definicion as varchar) as definicion,
    cast(objetivo_politica as varchar) as objetivo_politica,
    cast(mart as varchar) as mart,
    cast(columna as varchar) as columna
from indicadores
